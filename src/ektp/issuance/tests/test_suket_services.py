"""Temporary certificates (Suket): issue, the register's say over the signed QR (revoked,
superseded, expired), refusals that write nothing, numbering, and the races of two issues at once.

The helpers at the top are shared with test_suket_api.py and test_suket_cli.py.
"""

import threading
import time
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ektp.audit.models import AuditEvent
from ektp.devices.models import Office
from ektp.devices.services import office_create
from ektp.enrollment.tests.factories import (
    CARD_ISSUED_PATH,
    PersonFactory,
    application_of,
    move,
    record,
    user,
)
from ektp.errors import DomainError
from ektp.issuance import rules, suket_signing
from ektp.issuance.models import Application, SigningKey, TemporaryCertificate
from ektp.issuance.services import application_transition
from ektp.issuance.suket_services import (
    certificate_issue,
    certificate_issue_or_get,
    certificate_print,
    certificate_revoke,
    certificate_verify,
    certificates_supersede,
    current_signing_key,
    office_private_key,
    qr_text_from_scan,
    verify_link,
)

pytestmark = pytest.mark.django_db

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
FOREIGN_KEY = Ed25519PrivateKey.generate()


# --- shared helpers ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def suket_key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("suket-key")


@pytest.fixture(autouse=True)
def suket_key(settings, suket_key_dir):
    """One signing key for the session, outside the working directory."""
    settings.EKTP_SUKET_KEY_FILE = suket_key_dir / "suket-signing.pem"
    settings.EKTP_PUBLIC_URL = "https://dukcapil.kupangkota.example/"


def dinas(code: str = "DINAS-KPG", region_code: str = "53.71"):
    """The office with this code, created on first use."""
    existing = Office.objects.filter(code=code).first()
    return existing or office_create(actor=None, code=code, name=f"Dinas Dukcapil {code}",
                                     kind="dinas", region_code=region_code, prints_cards=True)


def application_at(*statuses: str, resident=None) -> Application:
    """A recording (waiting at RECEIVED_AT_CENTRAL) moved on through ``statuses``."""
    return move(application_of(record(resident or PersonFactory())), *statuses)


def print_ready(resident=None) -> Application:
    return application_at(rules.S_PRR, resident=resident)


def issued(actor=None, office=None, application=None) -> TemporaryCertificate:
    """A fresh certificate for a print-ready application."""
    office = office or dinas()
    application = application or print_ready()
    return certificate_issue(actor=actor, application_id=application.pk, office_id=office.pk)


def sign(number: str, issued_on: date, *, resident, key=None, office_code="DINAS-KPG") -> str:
    payload = suket_signing.CertificatePayload.create(
        number=number, nik=resident.nik, name=resident.name, birth_date=resident.birth_date,
        issued_on=issued_on, office_code=office_code)
    return suket_signing.sign_certificate(payload, key or office_private_key())


def make_expired(certificate: TemporaryCertificate) -> TemporaryCertificate:
    """Move the certificate seven months back; the signature covers the dates, so re-sign."""
    issued_on = timezone.localdate() - timedelta(days=214)
    text = sign(certificate.number, issued_on, resident=certificate.application.resident,
                office_code=certificate.office.code)
    TemporaryCertificate.objects.filter(pk=certificate.pk).update(
        issued_on=issued_on, valid_until=suket_signing.valid_until_for(issued_on), qr_text=text)
    certificate.refresh_from_db()
    return certificate


def tampered(text: str) -> str:
    """One character of the payload part changed."""
    head, payload, signature = text.split(".")
    index = len(payload) // 2
    swapped = "A" if payload[index] != "A" else "B"
    return ".".join([head, payload[:index] + swapped + payload[index + 1:], signature])


def tampered_signature(text: str) -> str:
    """One character in the middle of the signature changed: always qr_signature."""
    index = len(text) - 40
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


def register_rows() -> dict[str, int]:
    """Rows every certificate write can touch: equal before and after a refusal."""
    return {model.__name__: model.objects.count()
            for model in (TemporaryCertificate, SigningKey, AuditEvent, Application)}


def register_state() -> tuple:
    statuses = list(TemporaryCertificate.objects.order_by("pk").values_list(
        "pk", "status", "status_reason", "qr_text"))
    return register_rows(), statuses


def refused(code: str, call, **kwargs) -> DomainError:
    before = register_state()
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.message
    assert register_state() == before
    return caught.value


# --- issue ---------------------------------------------------------------------------------------


def test_issued_certificate_verifies_valid_with_what_the_paper_shows():
    certificate = issued()
    resident = certificate.application.resident
    result = certificate_verify(certificate.qr_text)
    assert result.status == "valid"
    assert result.number == certificate.number
    assert result.name == resident.name
    assert result.nik_masked == resident.nik[:4] + "********" + resident.nik[-4:]
    assert result.birth_date == resident.birth_date
    assert result.issued_on == timezone.localdate() == certificate.issued_on
    assert result.valid_until == suket_signing.valid_until_for(result.issued_on)
    assert result.office_code == "DINAS-KPG"


def test_issue_is_audited_with_the_actor_and_the_nik():
    actor = user("recording_operator")
    certificate = issued(actor=actor)
    event = AuditEvent.objects.get(object_type="issuance.temporarycertificate")
    assert (event.actor, event.action, event.object_id) == (actor, "create", str(certificate.pk))
    assert event.nik == certificate.application.resident.nik
    assert certificate.issued_by == actor


def test_the_same_application_twice_gives_the_same_certificate():
    office = dinas()
    application = print_ready()
    first, created = certificate_issue_or_get(actor=None, application_id=application.pk,
                                              office_id=office.pk)
    before = register_state()
    again, created_again = certificate_issue_or_get(actor=None, application_id=application.pk,
                                                    office_id=office.pk)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.qr_text == first.qr_text
    assert register_state() == before


def test_numbers_run_per_regency_and_year():
    kupang, depok = dinas(), dinas("DINAS-DPK", "32.76")
    upt_alak = dinas("UPT-ALAK", "53.71.01")
    year = timezone.localdate().year
    numbers = [issued(office=office).number for office in (kupang, depok, upt_alak, kupang)]
    assert numbers == [f"470/SKT/5371/{year}/000001", f"470/SKT/3276/{year}/000001",
                       f"470/SKT/5371/{year}/000002", f"470/SKT/5371/{year}/000003"]


def test_numbering_continues_after_the_highest_serial_even_past_six_digits():
    first = issued()
    prefix = first.number.rsplit("/", 1)[0]
    TemporaryCertificate.objects.filter(pk=first.pk).update(number=f"{prefix}/999999")
    assert issued().number == f"{prefix}/1000000"
    assert issued().number == f"{prefix}/1000001"


@pytest.mark.parametrize("statuses", [
    (rules.S_DUP,), (rules.S_ADJ,), (), (rules.S_EFC,), (rules.S_CANCELLED,),
    (rules.S_PRR, *CARD_ISSUED_PATH),
], ids=["duplicate", "adjudication", "received", "efac", "cancelled", "card issued"])
def test_no_certificate_outside_the_certifiable_statuses(statuses):
    office = dinas()
    application = application_at(*statuses)
    refused("certificate_not_allowed", certificate_issue, actor=None,
            application_id=application.pk, office_id=office.pk)


@pytest.mark.parametrize("statuses", [
    (rules.S_PRR,), (rules.S_PRR, rules.S_SFP), (rules.S_PRR, rules.S_SFP, rules.S_PRINTED),
    (rules.S_PRR, rules.S_SFP, rules.S_PRINTED, rules.S_SHIPPED),
], ids=["print ready", "sent for printing", "printed", "shipped"])
def test_a_certificate_from_penunggalan_until_the_hand_over(statuses):
    assert issued(application=application_at(*statuses)).status == "active"


def test_a_live_certificate_is_not_handed_out_once_the_card_is_issued():
    certificate = issued()
    # A hand-over recorded by hand does not supersede the certificate row ...
    move(certificate.application, rules.S_SFP, rules.S_PRINTED, rules.S_ISSUED)
    refused("certificate_not_allowed", certificate_issue, actor=None,
            application_id=certificate.application_id, office_id=certificate.office_id)
    # ... yet its QR no longer counts.
    assert certificate_verify(certificate.qr_text).status == "superseded"


def test_unknown_application_or_office_writes_nothing():
    office = dinas()
    refused("application_unknown", certificate_issue, actor=None, application_id=999_999,
            office_id=office.pk)
    refused("office_unknown", certificate_issue, actor=None,
            application_id=print_ready().pk, office_id=999_999)


def test_a_name_too_long_for_the_qr_is_refused_cleanly():
    application = print_ready(PersonFactory(name="A" * 121))
    office = dinas()
    refused("certificate_data_invalid", certificate_issue, actor=None,
            application_id=application.pk, office_id=office.pk)


def test_after_six_months_a_new_certificate_replaces_the_expired_one():
    old = make_expired(issued())
    renewed, created = certificate_issue_or_get(
        actor=None, application_id=old.application_id, office_id=old.office_id)
    assert created and renewed.pk != old.pk and renewed.number != old.number
    assert certificate_verify(renewed.qr_text).status == "valid"
    assert certificate_verify(old.qr_text).status == "expired"


# --- verify --------------------------------------------------------------------------------------


def test_expired_certificate_verifies_expired():
    certificate = make_expired(issued())
    assert certificate_verify(certificate.qr_text).status == "expired"


def test_last_day_of_validity_is_still_valid():
    certificate = issued()
    issued_on = suket_signing.add_months(timezone.localdate(), -6)
    text = sign(certificate.number, issued_on, resident=certificate.application.resident)
    TemporaryCertificate.objects.filter(pk=certificate.pk).update(
        issued_on=issued_on, valid_until=timezone.localdate(), qr_text=text)
    assert certificate_verify(text).status == "valid"


def test_revoked_certificate_verifies_revoked_and_the_revocation_is_audited():
    supervisor = user("supervisor")
    certificate = issued()
    revoked = certificate_revoke(actor=supervisor, number=certificate.number,
                                 reason="  diterbitkan keliru  ")
    assert (revoked.status, revoked.status_reason) == ("revoked", "diterbitkan keliru")
    assert certificate_verify(certificate.qr_text).status == "revoked"
    event = AuditEvent.objects.filter(action="change").get()
    assert event.actor == supervisor and "diterbitkan keliru" in event.purpose


def test_revoked_stays_revoked_after_expiry():
    certificate = make_expired(issued())
    certificate_revoke(actor=None, number=certificate.number, reason="disalahgunakan")
    assert certificate_verify(certificate.qr_text).status == "revoked"


def test_revoke_refusals_write_nothing():
    certificate = issued()
    refused("reason_required", certificate_revoke, actor=None, number=certificate.number,
            reason="   ")
    refused("certificate_unknown", certificate_revoke, actor=None, number="470/SKT/0/0/1",
            reason="x")
    certificate_revoke(actor=None, number=certificate.number, reason="keliru")
    refused("certificate_not_active", certificate_revoke, actor=None,
            number=certificate.number, reason="lagi")


def test_superseded_when_the_card_is_issued():
    certificate = issued()
    assert certificates_supersede(application_id=certificate.application_id) == 1
    assert certificate_verify(certificate.qr_text).status == "superseded"
    assert certificates_supersede(application_id=certificate.application_id) == 0


def test_a_cancelled_application_revokes_its_certificate():
    certificate = issued()
    move(certificate.application, rules.S_CANCELLED)  # e.g. the holder died
    assert certificate_verify(certificate.qr_text).status == "revoked"


def test_verify_accepts_the_link_form_and_surrounding_whitespace():
    certificate = issued()
    link = verify_link(certificate)
    assert link.startswith("https://dukcapil.kupangkota.example/suket/verifikasi?qr=EKTP-SKT1.")
    assert qr_text_from_scan(f"  {link}\n") == certificate.qr_text
    assert certificate_verify(link).status == "valid"
    assert certificate_verify(certificate.qr_text + "\r\n").status == "valid"


def test_a_tampered_qr_is_refused():
    certificate = issued()
    before = register_state()
    with pytest.raises(suket_signing.SuketVerifyError) as caught:
        certificate_verify(tampered_signature(certificate.qr_text))
    assert caught.value.code == "qr_signature"
    for text in (tampered(certificate.qr_text), certificate.qr_text[:-1] + "x",
                 certificate.qr_text.replace("EKTP-SKT1", "EKTP-SKT2")):
        with pytest.raises(suket_signing.SuketVerifyError) as caught:
            certificate_verify(text)
        assert caught.value.code in {"qr_signature", "qr_format"}
    assert register_state() == before


def test_a_qr_signed_by_a_foreign_key_is_refused():
    certificate = issued()
    text = sign(certificate.number, certificate.issued_on,
                resident=certificate.application.resident, key=FOREIGN_KEY)
    refused("qr_unknown_key", certificate_verify, text=text)


def test_signed_by_our_key_but_not_in_the_register_is_refused():
    # A leaked key, or a certificate the register lost: never "valid".
    resident = PersonFactory()
    certificate = issued()
    refused("qr_not_registered", certificate_verify,
            text=sign("470/SKT/5371/2025/999999", timezone.localdate(), resident=resident))
    forged = sign(certificate.number, timezone.localdate(), resident=resident)
    refused("qr_not_registered", certificate_verify, text=forged)


def test_garbage_and_oversized_input_are_qr_format():
    issued()
    for text in ("", "hello", "https://example.com/?x=1", "EKTP-SKT1." + "A" * 5000):
        refused("qr_format", certificate_verify, text=text)


def test_verifying_writes_nothing_not_even_a_key(suket_key_dir, settings):
    # Verifying is public: it neither registers keys nor creates a key file.
    settings.EKTP_SUKET_KEY_FILE = suket_key_dir / "never-created.pem"
    text = sign("470/SKT/5371/2025/000001", timezone.localdate(), resident=PersonFactory(),
                key=FOREIGN_KEY)
    refused("qr_unknown_key", certificate_verify, text=text)
    assert not (suket_key_dir / "never-created.pem").exists()


# --- keys, print ---------------------------------------------------------------------------------


def test_key_registration_is_idempotent_and_old_keys_keep_verifying(suket_key_dir, settings):
    certificate = issued()
    assert current_signing_key().key_id == current_signing_key().key_id
    assert SigningKey.objects.count() == 1
    settings.EKTP_SUKET_KEY_FILE = suket_key_dir / "rotated.pem"  # a new key for new papers
    newer = issued()
    assert newer.key_id != certificate.key_id and SigningKey.objects.count() == 2
    assert certificate_verify(certificate.qr_text).status == "valid"
    assert certificate_verify(newer.qr_text).status == "valid"


def test_print_is_audited_and_only_for_a_live_certificate():
    certificate = issued()
    pdf = certificate_print(actor=None, number=certificate.number, purpose="loket 2")
    assert pdf.startswith(b"%PDF-")
    event = AuditEvent.objects.get(action="print")
    assert (event.object_id, event.purpose) == (str(certificate.pk), "loket 2")
    certificate_revoke(actor=None, number=certificate.number, reason="keliru")
    refused("certificate_not_active", certificate_print, actor=None, number=certificate.number)
    refused("certificate_unknown", certificate_print, actor=None, number="470/SKT/0/0/1")


def test_the_printed_qr_is_the_verify_link_and_it_verifies():
    zxingcpp = pytest.importorskip("zxingcpp", reason="QR decoder (zxing-cpp) not installed")
    import pypdfium2 as pdfium

    certificate = issued()
    pdf = certificate_print(actor=None, number=certificate.number)
    image = pdfium.PdfDocument(pdf)[0].render(scale=200 / 72).to_pil()
    texts = [found.text for found in zxingcpp.read_barcodes(image)
             if found.format == zxingcpp.BarcodeFormat.QRCode]
    assert texts == [verify_link(certificate)]
    assert certificate_verify(texts[0]).status == "valid"


# --- races (PostgreSQL: on SQLite IMMEDIATE transactions never overlap) -------------------------


def _in_threads(count: int, work) -> list:
    """Run ``work(index)`` in ``count`` threads released together; their results or errors."""
    start = threading.Barrier(count, timeout=30)
    results: list = [None] * count

    def run(index):
        try:
            start.wait()
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001  (reported to the test)
            results[index] = exc
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.skipif(not POSTGRES, reason="needs overlapping transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_issues_for_one_application_at_once_make_one_certificate():
    office, application = dinas(), print_ready()
    current_signing_key()
    results = _in_threads(2, lambda _i: certificate_issue_or_get(
        actor=None, application_id=application.pk, office_id=office.pk))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(created for _cert, created in results) == [False, True]
    assert len({cert.pk for cert, _created in results}) == 1
    assert TemporaryCertificate.objects.filter(application=application).count() == 1
    assert AuditEvent.objects.filter(object_type="issuance.temporarycertificate").count() == 1


@pytest.mark.skipif(not POSTGRES, reason="needs overlapping transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_take_consecutive_numbers_and_register_the_key_once():
    offices = [dinas(), dinas("UPT-ALAK", "53.71.01")]  # two offices, one regency: one sequence
    applications = [print_ready() for _ in range(6)]
    results = _in_threads(6, lambda i: certificate_issue(
        actor=None, application_id=applications[i].pk, office_id=offices[i % 2].pk))
    assert not [r for r in results if isinstance(r, Exception)], results
    year = timezone.localdate().year
    assert sorted(cert.number for cert in results) == [
        f"470/SKT/5371/{year}/{serial:06d}" for serial in range(1, 7)]
    assert SigningKey.objects.count() == 1


@pytest.mark.skipif(not POSTGRES, reason="needs overlapping transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_an_issue_racing_the_hand_over_leaves_no_live_certificate():
    office = dinas()
    application = application_at(rules.S_PRR, rules.S_SFP, rules.S_PRINTED)
    current_signing_key()
    card_recorded = threading.Event()

    def hand_over():
        with transaction.atomic():  # as printing.services records a matched hand-over
            application_transition(actor=None, application_id=application.pk,
                                   to_status=rules.S_ISSUED, reason="uji")
            card_recorded.set()
            time.sleep(0.5)  # the issue runs now, against the status committed before
            return certificates_supersede(application_id=application.pk)

    def issue():
        assert card_recorded.wait(10)
        return certificate_issue(actor=None, application_id=application.pk,
                                 office_id=office.pk)

    results = _in_threads(2, lambda i: (hand_over, issue)[i]())
    assert results[0] == 0
    assert isinstance(results[1], DomainError) and results[1].code == "certificate_not_allowed"
    assert not TemporaryCertificate.objects.filter(application=application).exists()
