"""Penunggalan on stored recordings: single, duplicate (one-to-one and one-to-many),
adjudication, unreadable templates, idempotence, adjudication decisions and the CLI."""

import io

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command

from ektp.dedup.models import DedupCandidate
from ektp.dedup.services import adjudication_decide, dedup_application, dedup_queue
from ektp.dedup.tasks import dedup_application_task
from ektp.enrollment.keys import biometric_key
from ektp.enrollment.models import BiometricTemplate
from ektp.enrollment.sealing import seal_vector
from ektp.enrollment.services import template_binding
from ektp.enrollment.tests import biometrics
from ektp.enrollment.tests.factories import (
    PersonFactory,
    application_of,
    move,
    record,
    snapshot,
    user,
)
from ektp.errors import DomainError
from ektp.issuance import rules

pytestmark = pytest.mark.django_db

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def rng():
    return np.random.default_rng(2017)


@pytest.fixture
def person(rng):
    return biometrics.new_identity(rng)


def decide(resident, sample) -> tuple[str, object]:
    """Record ``sample`` for ``resident`` and run penunggalan on it at once."""
    application = application_of(record(resident, sample))
    status = dedup_application(application_id=application.pk)
    application.refresh_from_db()
    assert application.status == status
    return status, application


def on_file(resident, person, rng):
    """A first recording, already through penunggalan as single."""
    status, application = decide(resident, biometrics.capture(person, rng))
    assert status == rules.S_PRR
    return application


# --- outcomes -----------------------------------------------------------------------------------


def test_a_single_person_is_print_ready(person, rng):
    PersonFactory()  # someone else's recording on file changes nothing
    status, application = decide(PersonFactory(), biometrics.capture(person, rng))
    assert status == rules.S_PRR
    assert not application.candidates.exists()
    assert application.history.last().reason == "tunggal"


def test_the_same_person_under_another_nik_is_a_one_to_many_duplicate(person, rng):
    original = on_file(PersonFactory(name="MARIA GORETI LAKAPU"), person, rng)
    typo = PersonFactory(name="MARIA GORETY LAKAPU", birth_date=original.resident.birth_date)
    status, application = decide(typo, biometrics.capture(person, rng))
    assert status == rules.S_DUP
    assert application.duplicate_kind == "one_to_many"
    candidate = application.candidates.get()
    assert candidate.matched_enrollment == original.enrollment
    assert candidate.kind == "one_to_many" and candidate.outcome == rules.S_DUP
    assert 0.2 < candidate.face_distance < 0.5
    assert 0.8 < candidate.finger_score <= 1.0
    # GORETI / GORETY share a phonetic key: the name check sees through the spelling too.
    assert candidate.demographic_match and candidate.demographic_llr > 0
    assert candidate.face_llr > 0 and candidate.finger_llr > 0
    assert candidate.fused_llr == pytest.approx(
        candidate.face_llr + candidate.finger_llr + candidate.demographic_llr)


def test_the_same_nik_recorded_twice_is_a_one_to_one_duplicate(person, rng):
    resident = PersonFactory()
    original = on_file(resident, person, rng)
    status, application = decide(resident, biometrics.capture(person, rng))
    assert (status, application.duplicate_kind) == (rules.S_DUP, "one_to_one")
    candidate = application.candidates.get()
    assert (candidate.matched_enrollment, candidate.kind) == (original.enrollment, "one_to_one")
    assert candidate.demographic_match


def test_a_matching_face_alone_goes_to_adjudication(person, rng):
    on_file(PersonFactory(), person, rng)
    twin = biometrics.lookalike(person, rng)
    status, application = decide(PersonFactory(), biometrics.capture(twin, rng))
    assert status == rules.S_ADJ
    candidate = application.candidates.get()
    assert candidate.face_distance < 0.5 and candidate.finger_score is None
    assert candidate.outcome == rules.S_ADJ
    assert candidate.face_llr > 0 > candidate.finger_llr  # the fingers speak against
    assert settings.EKTP_DEDUP_ADJUDICATE_LLR <= candidate.fused_llr
    assert candidate.fused_llr < settings.EKTP_DEDUP_DUPLICATE_LLR


def test_a_namesake_whose_biometrics_both_differ_is_single(person, rng):
    """Same name, birth date and sex, but face and fingers both speak against: two people."""
    original = on_file(PersonFactory(name="YOSEF BELA"), person, rng)
    namesake = PersonFactory(name="Yosef  Bela", birth_date=original.resident.birth_date,
                             sex=original.resident.sex)
    stranger = biometrics.new_identity(rng)
    status, application = decide(namesake, biometrics.capture(stranger, rng))
    assert status == rules.S_PRR
    assert not application.candidates.exists()


def test_a_namesake_with_a_resembling_face_goes_to_adjudication(person, rng):
    original = on_file(PersonFactory(name="H. MOH. YOSEF BELA"), person, rng)
    namesake = PersonFactory(name="Muhammad Yosef Bela", birth_date=original.resident.birth_date,
                             sex=original.resident.sex)
    status, application = decide(namesake, biometrics.capture(
        biometrics.lookalike(person, rng), rng))
    assert status == rules.S_ADJ
    candidate = application.candidates.get()
    assert candidate.demographic_match  # titles and Moh./Muhammad normalised away
    assert candidate.demographic_llr > 0 and candidate.face_llr > 0 > candidate.finger_llr


def test_another_birth_date_is_not_a_namesake(person, rng):
    original = on_file(PersonFactory(name="YOSEF BELA"), person, rng)
    other_day = original.resident.birth_date.replace(day=original.resident.birth_date.day % 28 + 1)
    status, _ = decide(PersonFactory(name="YOSEF BELA", birth_date=other_day),
                       biometrics.capture(biometrics.new_identity(rng), rng))
    assert status == rules.S_PRR


# --- unreadable recordings ------------------------------------------------------------------


def tamper(enrollment) -> None:
    template = enrollment.templates.get(modality="finger", position=1)
    sealed = bytearray(template.sealed)
    sealed[-1] ^= 0x01  # one flipped bit in the authentication tag
    BiometricTemplate.objects.filter(pk=template.pk).update(sealed=bytes(sealed))


def test_a_tampered_template_is_an_enroll_failure(person, rng):
    application = application_of(record(PersonFactory(), biometrics.capture(person, rng)))
    tamper(application.enrollment)
    assert dedup_application(application_id=application.pk) == rules.S_EFC
    assert application.history.last().reason == "templat biometrik tidak terbaca"
    assert not application.candidates.exists()


def test_a_template_of_the_wrong_length_is_an_enroll_failure(person, rng):
    enrollment = record(PersonFactory(), biometrics.capture(person, rng))
    template = enrollment.templates.get(modality="face")
    short = seal_vector(np.ones(64), key=biometric_key(), associated_data=template_binding(
        enrollment.enrollment_id, "face", 0))
    BiometricTemplate.objects.filter(pk=template.pk).update(sealed=short)
    assert dedup_application(application_id=application_of(enrollment).pk) == rules.S_EFC


def test_a_recording_without_its_face_is_an_enroll_failure(person, rng):
    enrollment = record(PersonFactory(), biometrics.capture(person, rng))
    enrollment.templates.filter(modality="face").delete()
    assert dedup_application(application_id=application_of(enrollment).pk) == rules.S_EFC


def test_a_tampered_record_on_file_does_not_stop_the_others(person, rng):
    tampered = on_file(PersonFactory(), biometrics.new_identity(rng), rng)
    tamper(tampered.enrollment)
    status, _ = decide(PersonFactory(), biometrics.capture(person, rng))
    assert status == rules.S_PRR


# --- idempotence and the queue ----------------------------------------------------------------


def test_running_penunggalan_twice_changes_nothing_the_second_time(person, rng):
    on_file(PersonFactory(), person, rng)
    status, application = decide(PersonFactory(), biometrics.capture(person, rng))
    before = snapshot()
    assert dedup_application(application_id=application.pk) == status == rules.S_DUP
    assert snapshot() == before
    assert DedupCandidate.objects.filter(application=application).count() == 1


def test_an_unknown_application_is_404():
    with pytest.raises(DomainError) as caught:
        dedup_application(application_id=987654321)
    assert (caught.value.status, caught.value.code) == (404, "application_unknown")


def test_the_task_decides_the_application(person, rng, settings):
    settings.TASKS = IMMEDIATE_TASKS
    application = application_of(record(PersonFactory(), biometrics.capture(person, rng)))
    result = dedup_application_task.enqueue(application.pk)
    assert result.return_value == rules.S_PRR


def test_the_dedup_command_processes_the_queue_oldest_first(person, rng):
    later = record(PersonFactory(), biometrics.capture(person, rng))
    earlier = record(PersonFactory(), biometrics.capture(person, rng),
                     captured_at=later.captured_at.replace(year=later.captured_at.year - 1))
    stranger = record(PersonFactory(), biometrics.capture(biometrics.new_identity(rng), rng))
    assert dedup_queue() == [application_of(e).pk for e in (earlier, later, stranger)]
    out = io.StringIO()
    call_command("dedup", "run", stdout=out, verbosity=0)
    statuses = [application_of(e).status for e in (earlier, later, stranger)]
    assert statuses == [rules.S_PRR, rules.S_DUP, rules.S_PRR]
    assert out.getvalue().splitlines() == [f"{rules.S_DUP}\t1", f"{rules.S_PRR}\t2"]
    assert dedup_queue() == []


def test_the_dedup_command_says_when_the_queue_is_empty():
    out = io.StringIO()
    call_command("dedup", "run", stdout=out, verbosity=0)
    assert "kosong" in out.getvalue()


# --- adjudication -------------------------------------------------------------------------------


@pytest.fixture
def doubtful(person, rng):
    """An application at ADJUDICATE_RECORD: the face matches a recording on file."""
    on_file(PersonFactory(), person, rng)
    status, application = decide(PersonFactory(), biometrics.capture(
        biometrics.lookalike(person, rng), rng))
    assert status == rules.S_ADJ
    return application


def test_an_adjudicator_confirms_the_duplicate(doubtful):
    adjudicator = user("supervisor")
    decided = adjudication_decide(actor=adjudicator, application_id=doubtful.pk,
                                  decision="duplicate", reason="wajah dan KK sama")
    assert (decided.status, decided.duplicate_kind) == (rules.S_DUP, "one_to_many")
    row = decided.history.last()
    assert (row.actor, row.reason) == (adjudicator, "adjudikasi: wajah dan KK sama")


def test_an_adjudicator_clears_the_record_as_single(doubtful):
    decided = adjudication_decide(actor=user("supervisor"), application_id=doubtful.pk,
                                  decision="single", reason="kembar, sidik jari berbeda")
    assert (decided.status, decided.duplicate_kind) == (rules.S_PRR, "")


@pytest.mark.parametrize(("decision", "reason", "code"), [
    ("duplicate", "", "reason_required"),
    ("single", "   ", "reason_required"),
    ("maybe", "ragu", "decision_unknown"),
])
def test_a_bad_adjudication_is_refused_and_nothing_written(doubtful, decision, reason, code):
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        adjudication_decide(actor=None, application_id=doubtful.pk, decision=decision,
                            reason=reason)
    assert caught.value.code == code
    assert snapshot() == before


def test_only_a_waiting_application_can_be_adjudicated(person, rng):
    """RECEIVED_AT_CENTRAL may reach PRR in the state machine, but only through the search."""
    application = application_of(record(PersonFactory(), biometrics.capture(person, rng)))
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        adjudication_decide(actor=None, application_id=application.pk, decision="single",
                            reason="percaya saja")
    assert (caught.value.status, caught.value.code) == (409, "not_awaiting_adjudication")
    assert snapshot() == before


def test_a_decided_adjudication_cannot_be_decided_again(doubtful):
    adjudication_decide(actor=None, application_id=doubtful.pk, decision="single", reason="ok")
    move(doubtful, rules.S_SFP)
    with pytest.raises(DomainError) as caught:
        adjudication_decide(actor=None, application_id=doubtful.pk, decision="duplicate",
                            reason="berubah pikiran")
    assert caught.value.code == "not_awaiting_adjudication"
