"""enrollment_record: a recording is checked, sealed and sent on to central; every refusal has
its code and writes nothing."""

import io
from datetime import timedelta

import numpy as np
import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image

from ektp.audit.models import AuditEvent
from ektp.enrollment.keys import biometric_key
from ektp.enrollment.models import BiometricTemplate
from ektp.enrollment.sealing import row_binding, unseal, unseal_vector
from ektp.enrollment.services import enrollment_record, make_enrollment_id, template_binding
from ektp.enrollment.tests import biometrics
from ektp.enrollment.tests.factories import (
    CaptureFactory,
    PersonFactory,
    application_of,
    record,
    row_counts,
    user,
)
from ektp.errors import DomainError
from ektp.issuance import rules
from ektp.residents.services import resident_record_death

pytestmark = pytest.mark.django_db

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def rng():
    return np.random.default_rng(16)


@pytest.fixture
def resident():
    return PersonFactory()


def refused(code: str, resident, **fields) -> None:
    """The recording is refused with ``code`` and nothing at all is written."""
    before = row_counts()
    with pytest.raises(DomainError) as caught:
        record(resident, **fields)
    assert caught.value.code == code
    assert row_counts() == before


def noise_png(side: int) -> bytes:
    """A PNG that does not compress: side * side * 3 bytes and a little more."""
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


# --- a recording that passes ----------------------------------------------------------------


def test_a_recording_is_received_at_central_with_its_history(resident):
    operator = user("recording_operator")
    enrollment = record(resident, actor=operator)
    application = application_of(enrollment)
    assert application.status == rules.S_RAC
    assert application.kind == "new"
    steps = list(application.history.values_list("from_status", "to_status", "actor", "site"))
    assert steps == [
        ("", rules.S_BIO, operator.pk, settings.EKTP_SITE_CODE),
        (rules.S_BIO, rules.S_SFE, operator.pk, settings.EKTP_SITE_CODE),
        (rules.S_SFE, rules.S_RAC, operator.pk, settings.EKTP_SITE_CODE),
    ]
    assert enrollment.operator == operator
    assert (enrollment.photo_width, enrollment.photo_height) == (240, 320)


def test_the_enrollment_id_is_made_from_station_sequence_and_time(resident):
    captured_at = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    enrollment = record(resident, station_code="KPG-ALAK-07", sequence=42,
                        captured_at=captured_at)
    assert enrollment.enrollment_id == make_enrollment_id("KPG-ALAK-07", 42, captured_at)
    assert enrollment.enrollment_id.startswith("KPG-ALAK-07-00000042-")


def test_one_face_and_every_finger_are_stored(resident, rng):
    sample = biometrics.capture(biometrics.new_identity(rng, fingers=range(1, 11)), rng)
    enrollment = record(resident, sample)
    stored = set(enrollment.templates.values_list("modality", "position"))
    assert stored == {("face", 0)} | {("finger", p) for p in range(1, 11)}
    assert enrollment.finger_count == 10


def test_templates_and_images_are_sealed_at_rest(resident, rng):
    sample = biometrics.capture(biometrics.new_identity(rng), rng)
    capture = CaptureFactory(resident_id=resident.pk, sample=sample)
    enrollment = record(resident, sample, photo=capture.photo)
    key = biometric_key()
    for template in enrollment.templates.all():
        plain = sample.face if template.modality == "face" else sample.fingers[template.position]
        raw = np.asarray(plain, dtype="<f4").tobytes()
        sealed = bytes(template.sealed)
        assert raw not in sealed and raw[:16] not in sealed
        binding = template_binding(enrollment.enrollment_id, template.modality, template.position)
        opened = unseal_vector(sealed, key=key, associated_data=binding)
        np.testing.assert_allclose(opened, plain, atol=1e-6)  # fingers arrive as unit vectors
    assert capture.photo[:64] not in bytes(enrollment.photo_sealed)
    photo = unseal(bytes(enrollment.photo_sealed), key=key,
                   associated_data=row_binding(enrollment.enrollment_id, "photo"))
    assert photo == capture.photo


def test_an_audit_row_names_the_resident(resident):
    enrollment = record(resident)
    event = AuditEvent.objects.get(object_type="enrollment.enrollment")
    assert (event.object_id, event.nik, event.action) == (str(enrollment.pk), resident.nik,
                                                          "create")


def test_a_station_keeps_the_recording_until_it_syncs(resident, settings, tmp_path):
    from ektp.stations.tests.in_process_sync import station_for_tests

    station_for_tests(settings, tmp_path)  # a station records only once registered
    settings.EKTP_ROLE = "station"
    application = application_of(record(resident))
    assert application.status == rules.S_BIO
    assert application.history.count() == 1


def test_a_resident_turning_16_on_the_capture_day_may_be_recorded():
    today = timezone.localdate()
    resident = PersonFactory(birth_date=today.replace(year=today.year - 16))  # 16 | leap years
    assert application_of(record(resident, captured_at=timezone.now())).status == rules.S_RAC


# --- penunggalan is queued after commit ---------------------------------------------------


def test_penunggalan_runs_once_the_recording_commits(resident, settings,
                                                    django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE_TASKS
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enrollment = record(resident, enqueue_dedup=True)
        # Nothing runs before the commit: the task must see the stored recording.
        assert application_of(enrollment).status == rules.S_RAC
    assert len(callbacks) == 1
    application = application_of(enrollment)
    assert application.status == rules.S_PRR
    assert application.history.last().reason == "tunggal"


def test_penunggalan_is_not_queued_for_a_refused_recording(resident,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(DomainError):
        record(resident, biodata_confirmed=False, enqueue_dedup=True)
    assert callbacks == []


# --- refusals, each with its code and nothing written ----------------------------------------


@pytest.mark.parametrize(("fields", "code"), [
    ({"photo": b""}, "photo_missing"),
    ({"photo": b"GIF89a not a photo"}, "photo_not_image"),
    ({"photo": biometrics.png(100, 100)}, "photo_too_small"),
    ({"signature": b""}, "signature_missing"),
    ({"signature": b"%PDF-1.4"}, "signature_not_image"),
    ({"biodata_confirmed": False}, "biodata_not_confirmed"),
    ({"station_code": "kupang alak"}, "station_code"),
    ({"sequence": 0}, "sequence"),
    ({"captured_at": timezone.now().replace(tzinfo=None)}, "captured_at_naive"),
    ({"captured_at": timezone.now() + timedelta(hours=1)}, "captured_at_future"),
    ({"face_template": np.zeros(64)}, "face_template"),
    ({"face_template": np.full(128, np.nan)}, "face_template"),
    ({"fingerprints": {}}, "fingerprints_too_few"),
    ({"fingerprints": {1: [0.1] * 128}}, "fingerprints_too_few"),
    ({"fingerprints": {1: [0.1] * 128, 11: [0.1] * 128}}, "fingerprint_position"),
    ({"fingerprints": {1: [0.1] * 128, 2: [0.1] * 64}}, "fingerprint_vector"),
    ({"fingerprints": {1: [0.1] * 128, 2: [0.0] * 128}}, "fingerprint_vector"),
])
def test_a_bad_capture_is_refused_and_nothing_written(resident, fields, code):
    refused(code, resident, **fields)


def test_an_oversized_photo_is_refused(resident):
    photo = noise_png(900)  # ~2.4 MB, over the 2 MB limit
    assert len(photo) > settings.EKTP_MAX_PHOTO_BYTES
    refused("photo_too_large", resident, photo=photo)


def test_a_photo_without_a_face_is_refused(resident):
    """No face_template given: the real embedder looks for a face in a plain picture."""
    refused("face_not_found", resident, face_template=None)


def test_a_repeated_recording_is_refused_and_nothing_written(resident):
    enrollment = record(resident, sequence=7)
    refused("enrollment_id_exists", resident, sequence=7, captured_at=enrollment.captured_at)


def test_a_reused_station_sequence_is_the_same_recording(resident):
    enrollment = record(resident, sequence=8)
    later = enrollment.captured_at + timedelta(minutes=5)
    refused("enrollment_id_exists", resident, sequence=8, captured_at=later)


def test_a_deceased_resident_is_not_recorded(resident):
    resident_record_death(actor=None, resident_id=resident.pk,
                          died_on=timezone.localdate() - timedelta(days=3), document_ref="AKM-1")
    refused("resident_deceased", resident)


def test_an_under_16_resident_is_not_recorded():
    today = timezone.localdate()
    # 16 * 365 days is 4 or 5 leap days short of a 16th birthday.
    resident = PersonFactory(birth_date=today - timedelta(days=16 * 365))
    refused("too_young", resident)


def test_the_age_counts_on_the_capture_day():
    """Sixteen today, but captured a week ago: the recording was made too early."""
    three_days_ago = timezone.localdate() - timedelta(days=3)
    birthday = three_days_ago.replace(year=three_days_ago.year - 16)  # turned 16 three days ago
    resident = PersonFactory(birth_date=birthday)
    refused("too_young", resident, captured_at=timezone.now() - timedelta(days=7))


def test_a_capture_dated_before_birth_is_refused_not_a_crash():
    resident = PersonFactory(birth_date=timezone.localdate() - timedelta(days=1))
    refused("too_young", resident, captured_at=timezone.now() - timedelta(days=3))


def test_an_unknown_resident_is_refused():
    before = row_counts()
    with pytest.raises(DomainError) as caught:
        enrollment_record(actor=None, capture=CaptureFactory(resident_id=987654321))
    assert (caught.value.code, caught.value.status) == ("resident_unknown", 404)
    assert row_counts() == before


def test_no_template_row_is_left_by_a_refusal(resident):
    refused("biodata_not_confirmed", resident, biodata_confirmed=False)
    assert not BiometricTemplate.objects.exists()
