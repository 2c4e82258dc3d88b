from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks (penunggalan of arriving recordings) from the database queue."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")

    def handle(self, *args, batch, **options):
        # No code reloading: a reload can stop a task half-way.
        call_command("db_worker", batch=batch, reload=False, verbosity=options["verbosity"])
