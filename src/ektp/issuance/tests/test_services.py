"""Application services: conditional transitions with their history, replacements, and the
race of two supervisors moving one application at once."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ektp.audit.models import AuditEvent
from ektp.dedup.services import dedup_application
from ektp.enrollment.tests.factories import (
    CARD_ISSUED_PATH,
    PersonFactory,
    application_of,
    move,
    record,
    snapshot,
    user,
)
from ektp.errors import Conflict, DomainError
from ektp.issuance import rules
from ektp.issuance.models import Application
from ektp.issuance.services import (
    application_replace,
    application_transition,
    application_transition_manual,
    applications_cancel_open,
)
from ektp.residents.services import resident_record_death

pytestmark = pytest.mark.django_db

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# A transactional test flushes the tables of these apps afterwards; the region list (loaded
# once per test database) is left out so the tests after it still have it.
APPS_BUT_REGIONS = ["ektp.accounts", "ektp.audit", "ektp.residents", "ektp.enrollment",
                    "ektp.issuance", "ektp.dedup", "ektp.demo"]


@pytest.fixture
def supervisor():
    return user("supervisor")


def print_ready(resident=None) -> Application:
    """A recording that penunggalan found single."""
    enrollment = record(resident or PersonFactory())
    assert dedup_application(application_id=application_of(enrollment).pk) == rules.S_PRR
    return application_of(enrollment)


def card_issued(resident=None) -> Application:
    return move(print_ready(resident), *CARD_ISSUED_PATH)


def refused(code: str, call, **kwargs) -> DomainError:
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.code == code
    assert snapshot() == before
    return caught.value


# --- transitions --------------------------------------------------------------------------------


def test_a_transition_writes_who_when_where_and_why(supervisor, settings):
    settings.EKTP_SITE_CODE = "DINAS-KPG"
    application = print_ready()
    start = timezone.now()
    moved = application_transition(actor=supervisor, application_id=application.pk,
                                   to_status=rules.S_SFP, reason="blangko tersedia")
    assert moved.status == rules.S_SFP
    assert start <= moved.status_changed_at <= timezone.now()
    row = moved.history.last()
    assert (row.from_status, row.to_status, row.actor, row.site, row.reason) == (
        rules.S_PRR, rules.S_SFP, supervisor, "DINAS-KPG", "blangko tersedia")
    assert row.at == moved.status_changed_at


def test_an_illegal_transition_is_refused_and_nothing_written(supervisor):
    application = print_ready()
    move(application, rules.S_CANCELLED)
    error = refused("illegal_transition", application_transition, actor=supervisor,
                    application_id=application.pk, to_status=rules.S_SFP)
    assert error.status == 409


def test_a_duplicate_can_never_be_sent_for_printing(supervisor):
    application = application_of(record(PersonFactory()))
    move(application, rules.S_DUP)
    refused("illegal_transition", application_transition, actor=supervisor,
            application_id=application.pk, to_status=rules.S_SFP)


def test_an_unknown_application_is_404():
    error = refused("application_unknown", application_transition, actor=None,
                    application_id=987654321, to_status=rules.S_SFP)
    assert error.status == 404


def test_a_decision_on_a_stale_status_is_refused(supervisor):
    """The supervisor saw ADJUDICATE_RECORD; penunggalan has moved it on since."""
    application = print_ready()
    refused("status_changed", application_transition, actor=supervisor,
            application_id=application.pk, to_status=rules.S_CANCELLED,
            expected_status=rules.S_ADJ)


def test_a_change_between_read_and_write_is_refused(supervisor, monkeypatch):
    """The conditional update sees that the application moved after our read: ours writes
    nothing."""
    application = print_ready()
    real_rule = rules.can_transition

    def another_supervisor_first(current, target):
        Application.objects.filter(pk=application.pk).update(status=rules.S_CANCELLED)
        return real_rule(current, target)

    monkeypatch.setattr(rules, "can_transition", another_supervisor_first)
    history = application.history.count()
    with pytest.raises(Conflict) as caught:
        application_transition(actor=supervisor, application_id=application.pk,
                               to_status=rules.S_SFP)
    assert caught.value.code == "status_changed"
    # (The simulated write shared our transaction, so it was rolled back with it; the thread
    # test below has a real second transaction.)
    application.refresh_from_db()
    assert application.status != rules.S_SFP
    assert application.history.count() == history


@pytest.mark.skipif(not POSTGRES, reason="on SQLite a write transaction takes the database "
                    "lock at BEGIN (IMMEDIATE), so two transitions can never overlap there")
@pytest.mark.django_db(transaction=True, available_apps=APPS_BUT_REGIONS)
def test_two_supervisors_at_once_exactly_one_wins(monkeypatch):
    application = print_ready()
    both_have_read = threading.Barrier(2, timeout=20)
    real_rule = rules.can_transition

    def after_both_reads(current, target):
        both_have_read.wait()  # each thread has read PRINT_READY_RECORD; now both write
        return real_rule(current, target)

    monkeypatch.setattr(rules, "can_transition", after_both_reads)
    outcomes = {}

    def attempt(target: str) -> None:
        try:
            application_transition(actor=None, application_id=application.pk,
                                   to_status=target, reason=target)
            outcomes[target] = "won"
        except Conflict as exc:
            outcomes[target] = exc.code
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=attempt, args=(target,))
               for target in (rules.S_SFP, rules.S_CANCELLED)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["status_changed", "won"]
    winner = next(target for target, outcome in outcomes.items() if outcome == "won")
    application.refresh_from_db()
    assert application.status == winner
    assert list(application.history.filter(from_status=rules.S_PRR).values_list(
        "to_status", flat=True)) == [winner]


# --- status changes by hand ---------------------------------------------------------------------


def test_a_supervisor_moves_an_application_with_a_reason(supervisor):
    application = print_ready()
    moved = application_transition_manual(actor=supervisor, application_id=application.pk,
                                          to_status=rules.S_SFP, reason="  dicetak di Alak ")
    assert moved.history.last().reason == "dicetak di Alak"


def test_a_change_by_hand_needs_a_reason(supervisor):
    application = print_ready()
    refused("reason_required", application_transition_manual, actor=supervisor,
            application_id=application.pk, to_status=rules.S_SFP, reason="  ")


@pytest.mark.parametrize("target", sorted(rules.DEDUP_OUTCOMES))
def test_nobody_decides_a_received_recording_by_hand(supervisor, target):
    application = application_of(record(PersonFactory()))
    error = refused("transition_reserved", application_transition_manual, actor=supervisor,
                    application_id=application.pk, to_status=target, reason="percaya saja")
    assert error.status == 409


def test_a_by_hand_change_on_a_stale_status_is_refused(supervisor):
    application = print_ready()
    refused("status_changed", application_transition_manual, actor=supervisor,
            application_id=application.pk, to_status=rules.S_CANCELLED, reason="batal",
            expected_status=rules.S_SFP)


def test_cancelling_the_open_applications_skips_those_that_cannot_be_cancelled():
    resident = PersonFactory()
    ready = print_ready(resident)
    adjudicate = move(application_of(record(resident)), rules.S_ADJ)
    printing = move(print_ready(PersonFactory()), rules.S_SFP)
    printing_for_resident = type(printing).objects.filter(pk=printing.pk).update(
        resident=resident)
    assert printing_for_resident == 1
    # A card on the printer right now finishes (printed or spoiled) before it can be stopped.
    assert applications_cancel_open(actor=None, resident_id=resident.pk, reason="uji") == 2
    for application in (ready, adjudicate, printing):
        application.refresh_from_db()
    assert (ready.status, adjudicate.status, printing.status) == (
        rules.S_CANCELLED, rules.S_CANCELLED, rules.S_SFP)


# --- replacements -------------------------------------------------------------------------------


def test_a_lost_card_is_replaced_from_the_existing_recording(supervisor):
    issued = card_issued()
    replacement = application_replace(actor=supervisor, resident_id=issued.resident_id,
                                      kind="lost", police_letter_ref="LP/77/V/2025/SPKT")
    assert (replacement.kind, replacement.status) == ("lost", rules.S_RAC)
    assert replacement.enrollment == issued.enrollment
    assert replacement.police_letter_ref == "LP/77/V/2025/SPKT"
    assert list(replacement.history.values_list("from_status", "to_status", "actor")) == [
        ("", rules.S_RAC, supervisor.pk)]
    assert AuditEvent.objects.filter(object_type="issuance.application",
                                     object_id=str(replacement.pk)).exists()
    # Its own recording is not a duplicate of itself: penunggalan finds it single.
    assert dedup_application(application_id=replacement.pk) == rules.S_PRR


def test_a_replacement_uses_the_verified_recording_not_a_later_duplicate():
    resident = PersonFactory()
    issued = card_issued(resident)
    again = application_of(record(resident))  # recorded a second time under the same NIK
    assert dedup_application(application_id=again.pk) == rules.S_DUP
    move(again, rules.S_CANCELLED)
    replacement = application_replace(actor=None, resident_id=resident.pk, kind="lost",
                                      police_letter_ref="LP/1")
    assert replacement.enrollment == issued.enrollment


def test_a_damaged_card_is_handed_in_and_booked_invalid():
    from ektp.devices.services import office_create
    from ektp.supplies.models import InvalidCard

    issued = card_issued()
    office = office_create(actor=None, code="DINAS-T", name="Dinas", kind="dinas",
                           region_code="53.71")
    replacement = application_replace(actor=None, resident_id=issued.resident_id,
                                      kind="damaged", returned_card_serial="KTP25-0000009",
                                      office_id=office.pk)
    assert replacement.status == rules.S_RAC
    card = InvalidCard.objects.get(serial="KTP25-0000009")
    assert (card.reason, card.nik, card.office_id) == (
        "returned_damaged", issued.resident.nik, office.pk)


@pytest.mark.parametrize(("kind", "papers", "code"), [
    ("lost", {}, "police_letter_required"),
    ("lost", {"police_letter_ref": "   "}, "police_letter_required"),
    ("data_change", {}, "document_required"),
    ("move", {"police_letter_ref": "LP/1"}, "document_required"),
    ("new", {}, "application_kind"),
    ("damaged", {}, "old_card_required"),
    ("damaged", {"returned_card_serial": "KTP25-1"}, "old_card_required"),
])
def test_a_replacement_without_its_papers_is_refused(kind, papers, code):
    issued = card_issued()
    refused(code, application_replace, actor=None, resident_id=issued.resident_id, kind=kind,
            **papers)


def test_a_replacement_without_a_recording_is_refused():
    resident = PersonFactory()
    error = refused("enrollment_missing", application_replace, actor=None,
                    resident_id=resident.pk, kind="lost", police_letter_ref="LP/1")
    assert error.status == 409


def test_a_replacement_while_an_application_is_open_is_refused():
    ready = print_ready()
    refused("application_open_exists", application_replace, actor=None,
            resident_id=ready.resident_id, kind="lost", police_letter_ref="LP/1")


def test_a_replacement_for_a_deceased_resident_is_refused():
    issued = card_issued()
    resident_record_death(actor=None, resident_id=issued.resident_id,
                          died_on=timezone.localdate() - timedelta(days=1), document_ref="AKM")
    refused("resident_deceased", application_replace, actor=None,
            resident_id=issued.resident_id, kind="lost", police_letter_ref="LP/1")


def test_a_replacement_for_an_unknown_resident_is_refused():
    error = refused("resident_unknown", application_replace, actor=None,
                    resident_id=987654321, kind="lost", police_letter_ref="LP/1")
    assert error.status == 404


def test_a_replacement_queues_penunggalan_on_commit(django_capture_on_commit_callbacks):
    issued = card_issued()
    with django_capture_on_commit_callbacks() as callbacks:
        application_replace(actor=None, resident_id=issued.resident_id, kind="lost",
                            police_letter_ref="LP/1")
    assert len(callbacks) == 1
