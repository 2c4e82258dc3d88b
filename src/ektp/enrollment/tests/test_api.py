"""POST /api/enrollments (multipart) and GET /api/enrollments/{id}: recordings, refusals with
their codes and nothing written, a permission matrix, and one real photo end to end."""

import itertools
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ektp.accounts import rules as roles
from ektp.enrollment.face import set_face_embedder
from ektp.enrollment.models import Enrollment
from ektp.enrollment.tests import biometrics
from ektp.enrollment.tests.factories import (
    ALAK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    PersonFactory,
    application_of,
    record,
    snapshot,
    user,
)
from ektp.issuance import rules
from ektp.residents.services import resident_record_death

pytestmark = pytest.mark.django_db

URL = "/api/enrollments"
FACES = Path(__file__).resolve().parents[4] / ".cache" / "test_faces"
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
_sequences = itertools.count(1000)


@pytest.fixture
def faces():
    """Photos embed to synthetic faces, so these tests need no real face in a picture."""
    embedder = biometrics.PhotoFaces()
    set_face_embedder(embedder)
    yield embedder
    set_face_embedder(None)


@pytest.fixture
def rng():
    return np.random.default_rng(53)


@pytest.fixture
def resident():
    return PersonFactory()


@pytest.fixture
def operator():
    return user(roles.RECORDING_OPERATOR, ALAK)


@pytest.fixture
def api(client, operator):
    client.force_login(operator)
    return client


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def form(resident, sample, photo: bytes | None, **changes) -> dict:
    """A station's multipart body; a change to None leaves that field out."""
    body = {
        "resident_id": resident.pk,
        "station_code": "KPG-ALAK-01",
        "sequence": next(_sequences),
        "captured_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "biodata_confirmed": "true",
        "fingerprints": sample.fingerprints_json(),
        "photo": upload("wajah.png", photo) if photo is not None else None,
        "signature": upload("ttd.png", biometrics.signature_png()),
        **changes,
    }
    return {name: value for name, value in body.items() if value is not None}


def post_recording(client, resident, rng, faces, **changes):
    sample = biometrics.capture(biometrics.new_identity(rng), rng)
    photo = changes.pop("photo", faces.photo_of(sample.face))
    return client.post(URL, form(resident, sample, photo, **changes))


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


# --- recording --------------------------------------------------------------------------------


def test_a_recording_is_created(api, resident, rng, faces, operator):
    response = post_recording(api, resident, rng, faces)
    assert response.status_code == 201, response.content
    body = response.json()
    enrollment = Enrollment.objects.get(enrollment_id=body["enrollment_id"])
    application = application_of(enrollment)
    assert body["application"] == {"id": application.pk, "status": rules.S_RAC}
    assert (enrollment.resident, enrollment.operator) == (resident, operator)
    assert application.history.count() == 3


def test_get_shows_metadata_and_never_the_captures(api, resident):
    enrollment = record(resident)
    response = api.get(f"{URL}/{enrollment.enrollment_id}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "enrollment_id", "resident_id", "station_code", "sequence", "captured_at",
        "received_at", "photo_width", "photo_height", "finger_count", "templates",
        "applications"}
    assert body["templates"][0] == {"modality": "face", "position": 0}
    assert {t["position"] for t in body["templates"][1:]} == {1, 2, 6, 7}
    assert body["applications"] == [{"id": application_of(enrollment).pk,
                                      "status": rules.S_RAC}]


def test_get_of_an_unknown_recording_is_404(api):
    assert_refused(api.get(f"{URL}/KPG-ALAK-01-00000001-20250101T000000Z"), 404,
                   "enrollment_unknown")


# --- refusals -----------------------------------------------------------------------------------


def _one_finger(sample) -> str:
    return json.dumps({"1": sample.fingers[1].tolist()})


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"photo": None}, 400, "photo_missing"),
    ({"photo": b"\x89PNG\r\n\x1a\n but broken"}, 400, "photo_not_image"),
    ({"photo": biometrics.png(200, 200, (1, 2, 3))}, 400, "face_not_found"),
    ({"signature": None}, 400, "signature_missing"),
    ({"biodata_confirmed": "false"}, 400, "biodata_not_confirmed"),
    ({"captured_at": "2025-03-01T08:00:00"}, 400, "captured_at_naive"),
    ({"station_code": "alak!"}, 400, "station_code"),
    ({"fingerprints": '{"1": [0.5, 0.5]}'}, 400, "fingerprints_too_few"),
    ({"fingerprints": '{"1": [1.0], "12": [1.0]}'}, 400, "fingerprint_position"),
    ({"fingerprints": "not json"}, 422, "validation_error"),
    ({"fingerprints": '{"thumb": [1.0], "2": [1.0]}'}, 422, "validation_error"),
    ({"fingerprints": '{"1": ["a"], "2": [1.0]}'}, 422, "validation_error"),
    ({"sequence": "first"}, 422, "validation_error"),
    ({"sequence": str(2**64)}, 422, "validation_error"),  # beyond the database column
    ({"station_code": None}, 422, "validation_error"),
    ({"resident_id": 987654321}, 404, "resident_unknown"),
])
def test_a_bad_recording_is_refused_and_nothing_written(api, resident, rng, faces, changes,
                                                         status, code):
    before = snapshot()
    assert_refused(post_recording(api, resident, rng, faces, **changes), status, code)
    assert snapshot() == before


def test_too_few_fingers_are_refused(api, resident, rng, faces):
    sample = biometrics.capture(biometrics.new_identity(rng), rng)
    before = snapshot()
    body = form(resident, sample, faces.photo_of(sample.face), fingerprints=_one_finger(sample))
    assert_refused(api.post(URL, body), 400, "fingerprints_too_few")
    assert snapshot() == before


def test_an_oversized_photo_is_refused_unread(api, resident, rng, faces, settings):
    settings.EKTP_MAX_PHOTO_BYTES = 10_000
    before = snapshot()
    photo = bytes(20_000)
    assert_refused(post_recording(api, resident, rng, faces, photo=photo), 400,
                   "photo_too_large")
    assert snapshot() == before


def test_a_repeated_recording_is_a_409_and_nothing_written(api, resident, rng, faces):
    sample = biometrics.capture(biometrics.new_identity(rng), rng)
    photo = faces.photo_of(sample.face)
    first = form(resident, sample, photo)
    assert api.post(URL, first).status_code == 201
    before = snapshot()
    again = form(resident, sample, photo, sequence=first["sequence"],
                 captured_at=first["captured_at"])
    assert_refused(api.post(URL, again), 409, "enrollment_id_exists")
    assert snapshot() == before


def test_a_deceased_resident_is_refused(api, resident, rng, faces):
    resident_record_death(actor=None, resident_id=resident.pk,
                          died_on=timezone.localdate(), document_ref="AKM-7")
    before = snapshot()
    assert_refused(post_recording(api, resident, rng, faces), 409, "resident_deceased")
    assert snapshot() == before


def test_an_under_16_resident_is_refused(api, rng, faces):
    child = PersonFactory(birth_date=timezone.localdate() - timedelta(days=15 * 365))
    before = snapshot()
    assert_refused(post_recording(api, child, rng, faces), 400, "too_young")
    assert snapshot() == before


# --- permission matrix ------------------------------------------------------------------------

WHO = {
    "no role": ("", KOTA_KUPANG),
    "print operator": (roles.PRINT_OPERATOR, KOTA_KUPANG),
    "recording operator, Kota Depok": (roles.RECORDING_OPERATOR, KOTA_DEPOK),
    "recording operator, Alak": (roles.RECORDING_OPERATOR, ALAK),
    "supervisor, Kota Kupang": (roles.SUPERVISOR, KOTA_KUPANG),
    "central administrator": (roles.CENTRAL_ADMIN, None),
}


@pytest.mark.parametrize(("who", "status", "code"), [
    ("no role", 403, "forbidden"),
    ("print operator", 403, "forbidden"),
    ("recording operator, Kota Depok", 404, "resident_unknown"),
    ("recording operator, Alak", 201, None),
    ("supervisor, Kota Kupang", 201, None),
    ("central administrator", 201, None),
])
def test_who_may_record(client, resident, rng, faces, who, status, code):
    client.force_login(user(*WHO[who]))
    before = snapshot()
    response = post_recording(client, resident, rng, faces)
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code
        assert snapshot() == before


def test_anonymous_may_not_record(client, resident, rng, faces):
    before = snapshot()
    assert_refused(post_recording(client, resident, rng, faces), 401, "unauthenticated")
    assert snapshot() == before


@pytest.mark.parametrize(("who", "status"), [
    ("no role", 404),
    ("recording operator, Kota Depok", 404),
    ("print operator", 200),
    ("recording operator, Alak", 200),
    ("central administrator", 200),
])
def test_who_may_read_a_recording(client, resident, who, status):
    enrollment = record(resident)
    client.force_login(user(*WHO[who]))
    assert client.get(f"{URL}/{enrollment.enrollment_id}").status_code == status


def test_anonymous_may_not_read_a_recording(client, resident):
    enrollment = record(resident)
    assert_refused(client.get(f"{URL}/{enrollment.enrollment_id}"), 401, "unauthenticated")


# --- a real photo, end to end -------------------------------------------------------------------


def real_photo(name: str) -> bytes:
    path = FACES / name
    if not path.exists():
        pytest.skip(f"sample face {path} missing: run scripts/fetch_test_faces.sh")
    return path.read_bytes()


def test_real_photos_of_one_person_under_two_niks_are_a_duplicate(
        api, rng, settings, django_capture_on_commit_callbacks):
    """The face template comes from the photo (dlib); the same man recorded under another NIK
    with his own fingers again is found as a one-to-many duplicate."""
    settings.TASKS = IMMEDIATE_TASKS
    first, second = real_photo("obama.jpg"), real_photo("obama2.jpg")
    person = biometrics.new_identity(rng)
    recorded = []
    for resident, photo in ((PersonFactory(), first), (PersonFactory(), second)):
        sample = biometrics.capture(person, rng)
        with django_capture_on_commit_callbacks(execute=True):  # penunggalan runs on commit
            response = api.post(URL, form(resident, sample, photo))
        assert response.status_code == 201, response.content
        recorded.append(Enrollment.objects.get(enrollment_id=response.json()["enrollment_id"]))
    original, duplicate = (application_of(enrollment) for enrollment in recorded)
    assert (original.status, duplicate.status) == (rules.S_PRR, rules.S_DUP)
    candidate = duplicate.candidates.get()
    assert candidate.matched_enrollment == recorded[0]
    assert candidate.face_distance < settings.EKTP_FACE_MATCH_DISTANCE
    assert candidate.kind == "one_to_many"
