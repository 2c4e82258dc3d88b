import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from waitress import serve

from ektp.wsgi import application


class Command(BaseCommand):
    help = "Serve ektp with waitress (and a background task worker unless --no-worker)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("EKTP_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("EKTP_PORT", 8000)))
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true",
                            help="don't start the task worker (run `ektp worker` elsewhere)")

    def handle(self, *args, host, port, threads, no_worker, **options):
        call_command("check", deploy=not settings.DEBUG, fail_level="ERROR")
        worker = None if no_worker else subprocess.Popen(
            [sys.executable, "-m", "ektp.cli", "worker"])
        self.stdout.write(f"ektp berjalan di http://{host}:{port}/ (API /api/docs, admin /admin/)")
        try:
            serve(application, host=host, port=port, threads=threads)
        finally:
            if worker:
                worker.terminate()
                worker.wait(timeout=10)
