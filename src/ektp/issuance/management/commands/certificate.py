"""``ektp certificate``: verify a Suket QR, issue one to a PDF, show this office's public key.

``verify`` exits 0 only for a valid certificate, 1 otherwise (the status or the refusal code
is printed), so scripts can branch on it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ektp.devices.models import Office
from ektp.errors import DomainError, NotFound
from ektp.issuance import suket_signing
from ektp.issuance.suket_services import (
    certificate_issue,
    certificate_print,
    certificate_verify,
    current_signing_key,
)

CLI_PURPOSE = "ektp certificate issue (CLI)"


class Command(BaseCommand):
    help = "Surat Keterangan pengganti KTP-el: verify a QR, issue one as PDF, the public key."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check a scanned QR text (or its verify link)")
        verify.add_argument("qr")
        issue = sub.add_parser("issue", help="issue (or reprint) the certificate as a PDF")
        issue.add_argument("--application", type=int, required=True, help="application id")
        issue.add_argument("--office", required=True, help="code of the issuing office")
        issue.add_argument("--out", type=Path, required=True, help="PDF file to write")
        sub.add_parser("public-key", help="this office's public key, for offline verifiers")

    def handle(self, *args, action, **options):
        handler = {"verify": self.do_verify, "issue": self.do_issue,
                   "public-key": self.do_public_key}[action]
        try:
            handler(**options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}", returncode=1) from exc

    def do_verify(self, qr, **options):
        result = certificate_verify(qr)
        for label, value in (
            ("status", result.status), ("number", result.number), ("name", result.name),
            ("nik", result.nik_masked), ("birth_date", result.birth_date),
            ("issued_on", result.issued_on), ("valid_until", result.valid_until),
            ("office", result.office_code),
        ):
            self.stdout.write(f"{label}\t{value}")
        if result.status != suket_signing.STATUS_VALID:
            # A genuine paper that no longer counts still fails the check (exit code 1).
            raise CommandError(f"certificate_{result.status}: the certificate is not in force",
                               returncode=1)

    def do_issue(self, application, office, out, **options):
        found = Office.objects.filter(code=office).first()
        if found is None:
            raise NotFound(f"Unknown office {office!r}", code="office_unknown")
        # The shell user acts for the office: no operator account, the purpose says so.
        certificate = certificate_issue(actor=None, application_id=application,
                                        office_id=found.pk)
        pdf = certificate_print(actor=None, number=certificate.number, purpose=CLI_PURPOSE)
        out.write_bytes(pdf)
        self.stdout.write(f"{certificate.number}\t{certificate.valid_until}\t{out}")

    def do_public_key(self, **options):
        key = current_signing_key()  # registers the key, so what is published also verifies
        self.stdout.write(f"key_id\t{key.key_id}")
        self.stdout.write(key.public_pem.rstrip("\n"))
