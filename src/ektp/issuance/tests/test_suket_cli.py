"""``ektp certificate``: verify (exit 0 only when valid), issue to a PDF file, the public key."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ektp.audit.models import AuditEvent
from ektp.issuance import suket_signing
from ektp.issuance.models import SigningKey, TemporaryCertificate
from ektp.issuance.suket_services import certificate_revoke, trusted_keys, verify_link
from ektp.issuance.tests.test_suket_services import (  # noqa: F401  (fixtures)
    FOREIGN_KEY,
    application_at,
    dinas,
    issued,
    make_expired,
    print_ready,
    register_state,
    sign,
    suket_key,
    suket_key_dir,
    tampered_signature,
)

pytestmark = pytest.mark.django_db


def verify_fails(capsys, text: str) -> tuple[CommandError, str]:
    """Run ``certificate verify``, expecting exit code 1; the error and what was printed."""
    with pytest.raises(CommandError) as caught:
        call_command("certificate", "verify", text)
    assert caught.value.returncode == 1
    return caught.value, capsys.readouterr().out


def test_verify_a_valid_certificate_exits_0_and_prints_the_fields(capsys):
    certificate = issued()
    resident = certificate.application.resident
    call_command("certificate", "verify", certificate.qr_text)  # no exception: exit code 0
    out = capsys.readouterr().out
    assert "status\tvalid" in out and f"number\t{certificate.number}" in out
    assert f"name\t{resident.name}" in out
    assert f"nik\t{resident.nik[:4]}********{resident.nik[-4:]}" in out
    assert resident.nik not in out


def test_verify_takes_the_link_form_too(capsys):
    call_command("certificate", "verify", verify_link(issued()))
    assert "status\tvalid" in capsys.readouterr().out


@pytest.mark.parametrize("change, status", [("expire", "expired"), ("revoke", "revoked")])
def test_verify_a_genuine_certificate_no_longer_in_force_exits_1(capsys, change, status):
    certificate = issued()
    if change == "expire":
        make_expired(certificate)
    else:
        certificate_revoke(actor=None, number=certificate.number, reason="keliru")
    error, out = verify_fails(capsys, certificate.qr_text)
    assert f"status\t{status}" in out
    assert str(error).startswith(f"certificate_{status}:")


def test_verify_an_untrusted_qr_exits_1_with_the_code(capsys):
    certificate = issued()
    foreign = sign(certificate.number, certificate.issued_on,
                   resident=certificate.application.resident, key=FOREIGN_KEY)
    before = register_state()
    for text, code in ((tampered_signature(certificate.qr_text), "qr_signature"),
                       (foreign, "qr_unknown_key"), ("bukan QR", "qr_format")):
        error, out = verify_fails(capsys, text)
        assert str(error).startswith(f"{code}:") and out == ""
    assert register_state() == before


def test_issue_writes_the_pdf_and_audits_the_print(tmp_path, capsys):
    office, application = dinas(), print_ready()
    out_file = tmp_path / "suket.pdf"
    call_command("certificate", "issue", "--application", str(application.pk),
                 "--office", office.code, "--out", str(out_file))
    certificate = TemporaryCertificate.objects.get(application=application)
    assert out_file.read_bytes().startswith(b"%PDF-")
    assert capsys.readouterr().out.startswith(certificate.number + "\t")
    assert AuditEvent.objects.filter(action="print", object_id=str(certificate.pk)).exists()
    # A second run reprints the same certificate.
    call_command("certificate", "issue", "--application", str(application.pk),
                 "--office", office.code, "--out", str(out_file))
    assert TemporaryCertificate.objects.filter(application=application).count() == 1


@pytest.mark.parametrize("office_code, statuses, code", [
    ("NOWHERE", ("PRINT_READY_RECORD",), "office_unknown"),
    ("DINAS-KPG", ("DUPLICATE_RECORD",), "certificate_not_allowed"),
])
def test_issue_refusals_exit_1_write_nothing(tmp_path, office_code, statuses, code):
    dinas()
    application = application_at(*statuses)
    out_file = tmp_path / "suket.pdf"
    before = register_state()
    with pytest.raises(CommandError) as caught:
        call_command("certificate", "issue", "--application", str(application.pk),
                     "--office", office_code, "--out", str(out_file))
    assert caught.value.returncode == 1 and str(caught.value).startswith(f"{code}:")
    assert register_state() == before and not out_file.exists()


def test_public_key_prints_the_key_that_verifies_our_certificates(capsys):
    certificate = issued()
    call_command("certificate", "public-key")
    out = capsys.readouterr().out
    first, pem = out.split("\n", 1)
    public_key = suket_signing.load_public_key(pem.encode())
    assert first == f"key_id\t{suket_signing.key_id(public_key)}" == f"key_id\t{certificate.key_id}"
    # An offline verifier with only this PEM accepts the certificate.
    offline = suket_signing.parse_and_verify(
        certificate.qr_text, suket_signing.trusted_key_map([public_key]),
        today=certificate.issued_on)
    assert offline.status == "valid"
    assert set(trusted_keys()) == {certificate.key_id} and SigningKey.objects.count() == 1


def test_a_missing_subcommand_is_a_usage_error():
    with pytest.raises(CommandError):
        call_command("certificate")
