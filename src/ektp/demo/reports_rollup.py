"""The demo's report pages: compute the rollups they read and say what the forecast shows.

Called by ``ektp demo`` after the register and the pipeline are built (and safe to call again:
the rollup refresh replaces the rows). Returns lines for the command's output."""

from ektp.accounts.models import User
from ektp.reports import selectors
from ektp.reports.planning import forecast_summary, forecast_view
from ektp.reports.services import rollup_refresh

KUPANG = "53.71"


def demo_reports(region_code: str = KUPANG) -> str:
    result = rollup_refresh(region_code=region_code)
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    lines = [f"Laporan: rekap {result.villages} kelurahan, {result.statuses} baris status, "
             f"{result.flow_days} hari arus (ektp reports_rollup memperbarui tiap hari)."]
    if admin is not None:
        scope = selectors.report_scope(admin, selectors.REPORT_VIEW, region_code)
        summary = forecast_summary(forecast_view(scope))
        done = summary["done_on"].isoformat() if summary["done_on"] else "tidak tercapai"
        lines.append(f"Perkiraan selesai: {done} (pembatas: {summary['main_limit_label']}); "
                     f"halaman /laporan/")
    return "\n".join(lines)
