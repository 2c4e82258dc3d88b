import json

from django.core.management.base import BaseCommand, CommandError

from ektp.errors import DomainError


class Command(BaseCommand):
    help = ("One step of `ektp demo --stations` inside a node (central or station); prints "
            "JSON. Run by the demo, not by hand.")

    def add_arguments(self, parser):
        parser.add_argument("step", choices=["central-setup", "central-check", "central-cancel",
                                             "central-newcomer",
                                             "record", "print", "summary"])
        parser.add_argument("--count", type=int, default=1)
        parser.add_argument("--residents", type=int, default=400)
        parser.add_argument("--print-ready", type=int, default=12)

    def handle(self, *args, step, count, residents, print_ready, **options):
        from ektp.demo import station_steps

        steps = {
            "central-setup": lambda: station_steps.central_setup(residents=residents,
                                                                 print_ready=print_ready),
            "central-check": station_steps.central_check,
            "central-cancel": station_steps.central_cancel_leased,
            "central-newcomer": station_steps.central_newcomer,
            "record": lambda: station_steps.station_record(count=count),
            "print": lambda: station_steps.station_print(count=count),
            "summary": station_steps.station_summary,
        }
        try:
            self.stdout.write(json.dumps(steps[step]()))
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
