"""The register's persisted index: one per process, caught up with each decision, saved to disk,
rebuilt from the database when missing, stale or corrupt, never trusted over the database."""

import threading

import numpy as np
import pytest

from ektp.dedup import register_index
from ektp.dedup.services import dedup_application, dedup_run_queue
from ektp.enrollment.tests import biometrics
from ektp.enrollment.tests.factories import PersonFactory, application_of, move, record
from ektp.issuance import rules
from ektp.issuance.models import Application

pytestmark = pytest.mark.django_db


@pytest.fixture
def rng():
    return np.random.default_rng(4242)


@pytest.fixture
def index_dir(settings, tmp_path):
    settings.EKTP_DEDUP_INDEX_DIR = tmp_path / "index"
    settings.EKTP_DEDUP_INDEX_PERSIST_FROM = 1
    register_index.forget()
    yield settings.EKTP_DEDUP_INDEX_DIR
    register_index.forget()


def decided(rng, identity=None) -> Application:
    identity = identity or biometrics.new_identity(rng)
    application = application_of(record(PersonFactory(), biometrics.capture(identity, rng)))
    dedup_application(application_id=application.pk)
    application.refresh_from_db()
    return application


def test_each_decision_enters_the_processs_index_without_a_rebuild(rng, index_dir):
    first = decided(rng)
    index = register_index.current()
    second = decided(rng)
    assert register_index.current() is index  # the same object, caught up, not rebuilt
    assert {first.enrollment_id, second.enrollment_id} <= set(index.gallery.people)
    assert index.watermark.count == 2


def test_a_saved_index_is_loaded_and_caught_up_with_later_decisions(rng, index_dir):
    person = biometrics.new_identity(rng)
    original = decided(rng, person)
    register_index.current().save()
    register_index.forget()
    # A decision another worker made after the save, straight into the database.
    other = decided(rng)
    register_index.forget()
    loaded = register_index.load()
    assert loaded is not None
    assert {original.enrollment_id, other.enrollment_id} <= set(loaded.gallery.people)
    again = decided(rng, person)
    assert again.status == rules.S_DUP
    assert again.candidates.get().matched_enrollment_id == original.enrollment_id


def test_a_corrupt_or_missing_index_is_rebuilt_from_the_database(rng, index_dir):
    person = biometrics.new_identity(rng)
    original = decided(rng, person)
    saved = register_index.current().save()
    (saved / "face.npz").write_bytes(b"not an index")
    register_index.forget()
    assert register_index.load() is None
    again = decided(rng, person)  # rebuilt: the duplicate is still found
    assert again.status == rules.S_DUP
    assert again.candidates.get().matched_enrollment_id == original.enrollment_id
    (index_dir / register_index.POINTER).unlink()
    assert register_index.load() is None


def test_a_database_changed_behind_the_index_makes_it_stale(rng, index_dir):
    person = biometrics.new_identity(rng)
    decided(rng)
    register_index.current().save()
    # A recording put in the gallery without penunggalan (a restore, a bulk import).
    imported = application_of(record(PersonFactory(), biometrics.capture(person, rng)))
    Application.objects.filter(pk=imported.pk).update(status=rules.S_PRR)
    register_index.forget()
    assert register_index.load() is None
    again = decided(rng, person)
    assert again.status == rules.S_DUP
    assert again.candidates.get().matched_enrollment_id == imported.enrollment_id


def test_a_rolled_back_decision_does_not_leave_the_index_wrong(rng, index_dir):
    index = register_index.current()
    index.watermark.history_id, index.watermark.history_at = 10**9, "2000-01-01T00:00:00"
    assert not index.fits_database()
    assert register_index.current() is not index


def test_a_cancelled_recording_is_no_longer_a_candidate(rng, index_dir):
    person = biometrics.new_identity(rng)
    original = decided(rng, person)
    index = register_index.current()
    move(original, rules.S_CANCELLED)
    assert original.enrollment_id in index.gallery.people  # still cached ...
    again = decided(rng, person)
    assert again.status == rules.S_PRR  # ... but checked against the database
    assert register_index.current() is index


def test_the_queue_runner_finds_duplicates_within_one_batch(rng, index_dir):
    people = [biometrics.new_identity(rng) for _ in range(4)]
    first = [record(PersonFactory(), biometrics.capture(p, rng)) for p in people]
    again = [record(PersonFactory(), biometrics.capture(p, rng)) for p in people[:2]]
    counts = dedup_run_queue(batch=16)
    assert counts == {rules.S_PRR: 4, rules.S_DUP: 2}
    for enrollment, original in zip(again, first, strict=False):
        candidate = application_of(enrollment).candidates.get()
        assert candidate.matched_enrollment_id == original.pk
    assert (index_dir / register_index.POINTER).exists()  # saved after the run


# --- concurrency (PostgreSQL: real concurrent transactions) --------------------------------


def _at_once(*calls) -> list:
    """Run the calls in threads released together; their results in order."""
    from django.db import connection

    barrier, results = threading.Barrier(len(calls), timeout=30), [None] * len(calls)

    def run(position, call):
        try:
            barrier.wait()
            results[position] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("runner", ["two tasks", "a task and the queue runner"])
def test_two_workers_deciding_one_person_at_once_find_each_other(rng, index_dir, runner):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    person = biometrics.new_identity(rng)
    a, b = (application_of(record(PersonFactory(), biometrics.capture(person, rng)))
            for _ in range(2))
    second = (lambda: dedup_application(application_id=b.pk)) if runner == "two tasks" else (
        lambda: dedup_run_queue())
    _at_once(lambda: dedup_application(application_id=a.pk), second)
    statuses = sorted(Application.objects.filter(pk__in=[a.pk, b.pk]).values_list(
        "status", flat=True))
    assert statuses == [rules.S_DUP, rules.S_PRR]


def test_the_index_command_rebuilds_and_saves(rng, index_dir):
    import io

    from django.core.management import call_command

    decided(rng)
    out = io.StringIO()
    call_command("dedup", "index", stdout=out, verbosity=0)
    assert out.getvalue().startswith("1 rekaman, indeks wajah flat")
    assert register_index.load() is not None
