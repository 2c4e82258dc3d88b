"""``ektp reports_rollup [--region 53.71]``: recompute the report rollups (run daily, e.g. from
cron at night, and after a bulk import)."""

import time

from django.core.management.base import BaseCommand, CommandError

from ektp.errors import DomainError
from ektp.reports.services import FLOW_DAYS, rollup_refresh


class Command(BaseCommand):
    help = "Recompute the daily report rollups (coverage, backlog, flow) of a region."

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="region code, e.g. 53.71 (default: all)")
        parser.add_argument("--flow-days", type=int, default=FLOW_DAYS)

    def handle(self, *args, region: str, flow_days: int, **options):
        started = time.perf_counter()
        try:
            result = rollup_refresh(region_code=region, flow_days=flow_days)
        except DomainError as error:
            raise CommandError(f"{error.message} [{error.code}]") from error
        self.stdout.write(
            f"{result.villages} villages, {result.statuses} status rows, {result.flow_days} "
            f"days of flow in {time.perf_counter() - started:.1f} s")
