"""Print jobs, spoiled cards, hand-over and batches, through the real services (issuance,
penunggalan and supplies underneath). Every refusal is shown to have written nothing."""

import threading
from contextlib import contextmanager

import pypdfium2
import pytest
from django.db import connection

from ektp.audit.models import AuditEvent
from ektp.enrollment.tests.factories import PersonFactory, application_of, move, record
from ektp.errors import Conflict, DomainError, NotFound
from ektp.issuance import rules
from ektp.issuance.models import Application, TemporaryCertificate
from ektp.issuance.suket_services import certificate_issue
from ektp.printing import services
from ektp.printing.models import Handover, PrintJob
from ektp.printing.services import (
    card_handover,
    print_batch,
    print_job_finish,
    print_job_spoil,
    print_job_start,
)
from ektp.printing.tests.factories import (
    KOTA_DEPOK,
    fingers_of,
    new_identity,
    print_point,
    print_ready,
    printer,
    replacement_ready,
    snapshot,
    stock,
)
from ektp.supplies import selectors as stock_selectors
from ektp.supplies.models import BlankCard, InvalidCard, StockMovement

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


@contextmanager
def refused(exc_type, code: str):
    """The call is refused with ``code`` and nothing at all is written."""
    before = snapshot()
    with pytest.raises(exc_type) as caught:
        yield caught
    assert caught.value.code == code, caught.value.message
    assert snapshot() == before


def start(office, application, printer=None, **extra) -> PrintJob:
    return print_job_start(actor=None, office_id=office.pk, application_id=application.pk,
                           printer_id=printer.pk if printer else None, **extra)


def status_of(application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


# --- a print job --------------------------------------------------------------------------------


def test_a_print_ready_record_is_printed_on_one_blank_ribbon_and_film(office, hdp):
    stock(office, 3)
    application = print_ready()
    job = start(office, application, hdp)
    assert (job.status, job.blank_serial, job.printer, status_of(application)) == (
        PrintJob.Status.PRINTING, "KTP25-0000001", hdp, rules.S_SFP)
    consumed = StockMovement.objects.filter(kind="consumed")
    assert sorted(consumed.values_list("item", "quantity")) == [
        ("blank", -1), ("film", -1), ("ribbon", -1)]
    assert AuditEvent.objects.filter(action="print", object_id=str(job.pk),
                                     nik=application.resident.nik).exists()
    done = print_job_finish(actor=None, job_id=job.pk)
    assert (done.status, status_of(application)) == (PrintJob.Status.PRINTED, rules.S_PRINTED)
    assert done.finished_at is not None
    assert stock_selectors.ledger_mismatches() == []


def test_the_blank_scanned_is_the_one_used(office):
    stock(office, 3)
    job = start(office, print_ready(), serial="KTP25-0000003")
    assert job.blank_serial == "KTP25-0000003"
    assert BlankCard.objects.get(serial="KTP25-0000003").status == "used"


@pytest.mark.parametrize("statuses", [
    (),  # RECEIVED_AT_CENTRAL: penunggalan has not decided
    (rules.S_ADJ,),
    (rules.S_EFC,),
    (rules.S_CANCELLED,),
])
def test_only_a_print_ready_record_prints(office, statuses):
    stock(office, 1)
    application = move(application_of(record(PersonFactory())), *statuses)
    with refused(Conflict, "not_print_ready"):
        start(office, application)


def test_a_record_already_on_the_printer_is_not_printed_twice(office):
    stock(office, 2)
    application = print_ready()
    start(office, application)
    with refused(Conflict, "not_print_ready"):
        start(office, application)


def test_a_duplicate_never_prints(office):
    stock(office, 1)
    application = move(application_of(record(PersonFactory())), rules.S_DUP)
    with refused(Conflict, "duplicate_not_printable") as caught:
        start(office, application)
    assert caught.value.status == 409


def test_a_blank_serial_already_used_is_refused(office):
    stock(office, 2)
    start(office, print_ready(), serial="KTP25-0000001")
    application = print_ready()
    with refused(Conflict, "blank_serial_used"):
        start(office, application, serial="KTP25-0000001")
    assert status_of(application) == rules.S_PRR


def test_a_blank_serial_never_received_is_refused(office):
    stock(office, 2)
    application = print_ready()
    with refused(NotFound, "blank_serial_unknown"):
        start(office, application, serial="KTP25-9999999")
    assert status_of(application) == rules.S_PRR


def test_no_blank_left_refuses_and_offers_a_temporary_certificate(office):
    stock(office, 0)  # ribbon and film, no blanks
    application = print_ready()
    with refused(Conflict, "blank_out") as caught:
        start(office, application)
    assert "Surat Keterangan" in caught.value.message
    assert status_of(application) == rules.S_PRR


def test_no_ribbon_left_refuses_and_writes_nothing(office):
    stock(office, 2, rolls=0)
    application = print_ready()
    with refused(Conflict, "ribbon_out"):
        start(office, application)
    assert status_of(application) == rules.S_PRR
    assert stock_selectors.balance(office, "blank") == 2


def test_a_broken_printer_cannot_print(office):
    stock(office, 1)
    broken, application = printer(office, "broken"), print_ready()
    with refused(Conflict, "printer_unavailable"):
        start(office, application, broken)


def test_a_degraded_printer_still_prints(office):
    stock(office, 1)
    assert start(office, print_ready(), printer(office, "degraded")).status == "printing"


def test_a_record_outside_the_office_area_is_unknown_there(office):
    depok = print_point("DINAS-3276", KOTA_DEPOK)
    stock(depok, 1)
    application = print_ready()
    with refused(NotFound, "application_unknown"):
        start(depok, application)


def test_an_office_that_does_not_print_cards_is_refused():
    upt = print_point("UPT-ALAK", "53.71.01", prints_cards=False)
    application = print_ready()
    with refused(DomainError, "office_not_print_point"):
        start(upt, application)


# --- spoiled cards ------------------------------------------------------------------------------


def test_a_spoiled_card_books_the_blank_invalid_and_the_record_waits_again(office):
    stock(office, 2)
    application = print_ready()
    job = start(office, application)
    spoiled = print_job_spoil(actor=None, job_id=job.pk, reason="encode_failed")
    assert (spoiled.status, spoiled.spoil_reason) == ("spoiled", "encode_failed")
    assert status_of(application) == rules.S_PRR
    assert BlankCard.objects.get(serial=job.blank_serial).status == "spoiled"
    assert InvalidCard.objects.get(serial=job.blank_serial).reason == "encode_failed"
    assert StockMovement.objects.filter(kind="spoiled", reference=job.blank_serial).exists()
    # The record prints again, on the next blank.
    assert start(office, application).blank_serial == "KTP25-0000002"


def test_a_spoilage_needs_a_known_reason(office):
    stock(office, 1)
    job = start(office, print_ready())
    with refused(DomainError, "spoil_reason"):
        print_job_spoil(actor=None, job_id=job.pk, reason="returned_move")


def test_a_finished_job_is_not_finished_again(office):
    stock(office, 1)
    job = start(office, print_ready())
    print_job_finish(actor=None, job_id=job.pk)
    with refused(Conflict, "print_job_finished"):
        print_job_spoil(actor=None, job_id=job.pk, reason="misprint")
    with refused(Conflict, "print_job_finished"):
        print_job_finish(actor=None, job_id=job.pk)


# --- hand-over ----------------------------------------------------------------------------------


def printed(office, **kwargs) -> tuple[Application, object]:
    """A card printed for a fresh resident; returns the application and their biometrics."""
    identity = new_identity()
    application = print_ready(identity=identity, **kwargs)
    job = start(office, application)
    print_job_finish(actor=None, job_id=job.pk)
    return Application.objects.get(pk=application.pk), identity


def test_the_right_fingers_issue_the_card_and_supersede_the_certificate(office):
    stock(office, 1)
    application, identity = printed(office)
    certificate = certificate_issue(actor=None, application_id=application.pk,
                                    office_id=office.pk)
    result = card_handover(actor=None, application_id=application.pk,
                           fingerprints=fingers_of(identity))
    assert result.matched and result.score >= 0.8
    assert status_of(application) == rules.S_ISSUED
    certificate.refresh_from_db()
    assert certificate.status == TemporaryCertificate.Status.SUPERSEDED
    assert list(Handover.objects.values_list("application_id", "matched")) == [
        (application.pk, True)]


def test_wrong_fingers_are_recorded_and_change_nothing_else(office):
    stock(office, 1)
    application, _identity = printed(office)
    certificate = certificate_issue(actor=None, application_id=application.pk,
                                    office_id=office.pk)
    before = snapshot()
    someone_else = new_identity()
    result = card_handover(actor=None, application_id=application.pk,
                           fingerprints=fingers_of(someone_else))
    assert not result.matched and result.score < 0.8
    after = snapshot()
    assert after.pop("handovers") == before.pop("handovers") + 1
    assert after == before
    assert status_of(application) == rules.S_PRINTED
    certificate.refresh_from_db()
    assert certificate.status == TemporaryCertificate.Status.ACTIVE
    assert Handover.objects.get().matched is False


def test_a_replacement_handed_over_voids_the_older_card(office):
    stock(office, 2)
    old_application, identity = printed(office)
    card_handover(actor=None, application_id=old_application.pk,
                  fingerprints=fingers_of(identity))
    old_job = PrintJob.objects.get(application=old_application)
    replacement = _replacement_of(old_application)
    job = start(office, replacement)
    print_job_finish(actor=None, job_id=job.pk)
    assert card_handover(actor=None, application_id=replacement.pk,
                         fingerprints=fingers_of(identity)).matched
    old_job.refresh_from_db()
    assert old_job.voided_at is not None
    assert PrintJob.objects.get(pk=job.pk).voided_at is None


def _replacement_of(issued: Application) -> Application:
    from ektp.dedup.services import dedup_application
    from ektp.issuance.services import application_replace

    application = application_replace(actor=None, resident_id=issued.resident_id, kind="lost",
                                      police_letter_ref="LP/7/2026", enqueue_dedup=False)
    assert dedup_application(application_id=application.pk) == rules.S_PRR
    return application


def test_only_a_printed_card_is_handed_over(office):
    application, fingers = print_ready(), fingers_of(new_identity())
    with refused(Conflict, "card_not_printed"):
        card_handover(actor=None, application_id=application.pk, fingerprints=fingers)


def test_a_malformed_template_is_refused_before_anything_is_written(office):
    stock(office, 1)
    application, _identity = printed(office)
    with refused(DomainError, "fingerprint_vector"):
        card_handover(actor=None, application_id=application.pk, fingerprints={2: [0.1, 0.2]})


# --- batches ------------------------------------------------------------------------------------


def page_count(pdf: bytes) -> int:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def test_a_batch_stops_at_blank_out_and_keeps_what_it_printed(office, hdp):
    stock(office, 3)
    applications = [print_ready(waited_days=10 - n) for n in range(5)]
    result = print_batch(actor=None, office_id=office.pk, limit=10, printer_id=hdp.pk)
    assert result.stopped == "blank_out"
    assert "Surat Keterangan" in result.hint
    assert [job.application_id for job in result.jobs] == [a.pk for a in applications[:3]]
    assert [status_of(a) for a in applications] == [rules.S_PRINTED] * 3 + [rules.S_PRR] * 2
    assert page_count(result.pdf) == 3
    assert set(PrintJob.objects.values_list("batch", flat=True)) == {result.batch}
    assert stock_selectors.ledger_mismatches() == []


def test_a_batch_prints_up_to_its_limit(office, hdp):
    stock(office, 5)
    for _ in range(3):
        print_ready()
    result = print_batch(actor=None, office_id=office.pk, limit=2, printer_id=hdp.pk)
    assert (len(result.jobs), result.stopped, page_count(result.pdf)) == (2, "", 2)


def test_a_batch_stops_when_the_ribbon_runs_out(office, hdp, settings):
    settings.EKTP_RIBBON_YIELD = 2
    stock(office, 5)
    for _ in range(3):
        print_ready()
    result = print_batch(actor=None, office_id=office.pk, limit=5, printer_id=hdp.pk)
    assert (len(result.jobs), result.stopped) == (2, "ribbon_out")


def test_a_batch_skips_a_record_that_cannot_be_printed(office, hdp, monkeypatch):
    stock(office, 5)
    first, second = print_ready(waited_days=2), print_ready(waited_days=1)
    real = services._printable

    def first_was_printed_elsewhere(application_id, office):
        if application_id == first.pk:
            raise Conflict("changed", code="status_changed")
        return real(application_id, office)

    monkeypatch.setattr(services, "_printable", first_was_printed_elsewhere)
    result = print_batch(actor=None, office_id=office.pk, limit=5, printer_id=hdp.pk)
    assert ([job.application_id for job in result.jobs], result.stopped) == ([second.pk], "")


def test_a_batch_on_a_broken_printer_prints_nothing(office):
    stock(office, 2)
    print_ready()
    broken = printer(office, "broken")
    with refused(Conflict, "printer_unavailable"):
        print_batch(actor=None, office_id=office.pk, limit=5, printer_id=broken.pk)


@pytest.mark.parametrize("limit", [0, -1, 501, True])
def test_a_batch_limit_out_of_range_is_refused(office, hdp, limit):
    with refused(DomainError, "limit_invalid"):
        print_batch(actor=None, office_id=office.pk, limit=limit, printer_id=hdp.pk)


def test_two_batches_in_one_second_have_their_own_ids(office, hdp):
    stock(office, 2)
    print_ready()
    print_ready()
    first = print_batch(actor=None, office_id=office.pk, limit=1, printer_id=hdp.pk)
    second = print_batch(actor=None, office_id=office.pk, limit=1, printer_id=hdp.pk)
    assert first.batch != second.batch
    assert PrintJob.objects.filter(batch=first.batch).count() == 1


def test_an_empty_queue_prints_an_empty_batch(office, hdp):
    result = print_batch(actor=None, office_id=office.pk, limit=5, printer_id=hdp.pk)
    assert (result.jobs, result.stopped, result.pdf) == ([], "", b"")


# --- two operators at once ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_operators_printing_the_same_record_at_once_make_exactly_one_job(monkeypatch):
    """Each thread has its own connection. On PostgreSQL both read PRINT_READY_RECORD before
    either claims it (a barrier holds them), so the conditional claim decides; on SQLite the
    write lock (BEGIN IMMEDIATE) makes them take turns."""
    office = print_point()
    stock(office, 4)
    application = print_ready()
    operators = 4
    both_read = threading.Barrier(operators, timeout=30)
    real = services._printable

    def read_then_wait(application_id, office):
        checked = real(application_id, office)
        if POSTGRES:
            both_read.wait()
        return checked

    monkeypatch.setattr(services, "_printable", read_then_wait)
    outcomes = _at_once(operators, lambda: start(office, application).pk)
    jobs = [o for o in outcomes if isinstance(o, int)]
    assert len(jobs) == 1, outcomes
    expected = "status_changed" if POSTGRES else "not_print_ready"
    assert sorted(o.code for o in outcomes if isinstance(o, Conflict)) == [expected] * 3
    assert PrintJob.objects.filter(application=application).count() == 1
    assert status_of(application) == rules.S_SFP
    assert BlankCard.objects.filter(status="used").count() == 1
    assert stock_selectors.balance(office, "blank") == 3
    assert stock_selectors.ledger_mismatches() == []


def _at_once(count: int, work) -> list:
    outcomes: list = [None] * count
    go = threading.Barrier(count, timeout=30)

    def one(index: int) -> None:
        try:
            go.wait()
            outcomes[index] = work()
        except Exception as exc:  # noqa: BLE001 - the test inspects each outcome
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_replacements_print_from_the_existing_recording(office):
    stock(office, 1)
    application = replacement_ready()
    assert start(office, application).application_id == application.pk
