"""The recording pages: the permission matrix, the form's inline and final checks (messages in
Indonesian, nothing written on bad input), a recording that opens its application, and the
same form sent twice stored once."""

import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ektp.accounts import rules as roles
from ektp.audit.models import AuditEvent
from ektp.enrollment.face import set_face_embedder
from ektp.enrollment.models import Enrollment
from ektp.enrollment.tests import biometrics
from ektp.enrollment.tests.factories import (
    ALAK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    PersonFactory,
    row_counts,
    user,
)
from ektp.issuance import rules as issuance_rules

pytestmark = pytest.mark.django_db
START = reverse("recording_start")
HTMX = {"HTTP_HX_REQUEST": "true"}
WHO = {
    "none": ("", KOTA_KUPANG),
    "stock keeper": (roles.STOCK_KEEPER, KOTA_KUPANG),
    "recording operator, Depok": (roles.RECORDING_OPERATOR, KOTA_DEPOK),
    "recording operator, Alak": (roles.RECORDING_OPERATOR, ALAK),
}


@pytest.fixture
def faces():
    embedder = biometrics.PhotoFaces()
    set_face_embedder(embedder)
    yield embedder
    set_face_embedder(None)


@pytest.fixture
def maria():
    return PersonFactory(name="MARIA GORETI LAKAPU")


def _login(client, who):
    if who != "anonymous":
        client.force_login(user(*WHO[who]))


def _form(resident):
    return reverse("recording_form", args=[resident.pk])


def _check(field):
    return reverse("recording_check", args=[field])


def fingerprint_file(sample=None, name="sidik.json", content=None):
    sample = sample or biometrics.capture(biometrics.new_identity(np.random.default_rng(7)),
                                          np.random.default_rng(8))
    return SimpleUploadedFile(name, content if content is not None else
                              sample.fingerprints_json().encode(), "application/json")


def good_post(faces, sequence=1234567, **overrides):
    identity = biometrics.new_identity(np.random.default_rng(sequence))
    sample = biometrics.capture(identity, np.random.default_rng(sequence + 1))
    data = {
        "sequence": sequence, "biodata_confirmed": "on",
        "photo": SimpleUploadedFile("wajah.png", faces.photo_of(sample.face), "image/png"),
        "fingerprints": fingerprint_file(sample),
        "signature": SimpleUploadedFile("ttd.png", biometrics.signature_png(), "image/png"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- permission matrix ------------------------------------------------------------------------

REQUESTS = [("get", lambda r: START), ("post", lambda r: START), ("get", _form),
            ("post", _form), ("post", lambda r: _check("photo"))]


@pytest.mark.parametrize("method, url", REQUESTS)
def test_anonymous_is_sent_to_login_and_nothing_is_written(client, maria, method, url):
    before = row_counts()
    response = getattr(client, method)(url(maria))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert row_counts() == before


@pytest.mark.parametrize("who", ["none", "stock keeper"])
@pytest.mark.parametrize("method, url", REQUESTS)
def test_a_role_without_enrollment_record_gets_403(client, maria, faces, who, method, url):
    _login(client, who)
    before = row_counts()
    data = good_post(faces) if url is _form and method == "post" else {"q": "MARIA"}
    assert getattr(client, method)(url(maria), data).status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_region_gets_404_and_writes_nothing(client, maria, faces, method):
    _login(client, "recording operator, Depok")
    before = row_counts()
    data = good_post(faces) if method == "post" else {}
    assert getattr(client, method)(_form(maria), data).status_code == 404
    assert row_counts() == before
    found = client.post(START, {"q": "MARIA"}, **HTMX)
    assert found.context["page"].paginator.count == 0


def test_the_right_region_finds_the_resident_and_opens_the_form(client, maria):
    _login(client, "recording operator, Alak")
    found = client.post(START, {"q": "goreti"}, **HTMX).content.decode()
    assert f'href="{_form(maria)}"' in found and maria.nik not in found
    page = client.get(_form(maria))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    event = AuditEvent.objects.get()  # the biodata (a whole record) was read
    assert (event.nik, event.purpose) == (maria.nik, "perekaman: cek biodata")


# --- recording --------------------------------------------------------------------------------

def test_a_recording_opens_the_application_and_queues_penunggalan(client, maria, faces):
    _login(client, "recording operator, Alak")
    response = client.post(_form(maria), good_post(faces))
    assert response.status_code == 302
    assert response["Location"] == reverse("resident_detail", args=[maria.pk])
    enrollment = Enrollment.objects.get(resident=maria)
    assert enrollment.station_code.endswith("-WEB") and enrollment.finger_count == 4
    application = enrollment.applications.get()
    assert application.status == issuance_rules.S_RAC  # received, waiting for penunggalan
    page = client.get(response["Location"]).content.decode()
    assert "antrean penunggalan" in page


def test_the_form_says_when_the_resident_was_recorded_before(client, maria, faces):
    _login(client, "recording operator, Alak")
    assert "sudah direkam pada" not in client.get(_form(maria)).content.decode()
    client.post(_form(maria), good_post(faces))
    assert "sudah direkam pada" in client.get(_form(maria)).content.decode()


def test_the_same_form_sent_twice_is_stored_once(client, maria, faces):
    _login(client, "recording operator, Alak")
    assert client.post(_form(maria), good_post(faces, sequence=99)).status_code == 302
    before = row_counts()
    again = client.post(_form(maria), good_post(faces, sequence=99))
    assert again.status_code == 409
    assert "sudah diterima sebelumnya" in again.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize("override, field, message", [
    ({"biodata_confirmed": None}, "biodata_confirmed", "Biodata harus diperiksa"),
    ({"photo": None}, "photo", "Foto wajah belum diambil"),
    ({"photo": SimpleUploadedFile("a.png", b"not an image")}, "photo", "bukan gambar JPEG"),
    ({"photo": SimpleUploadedFile("a.png", biometrics.png(60, 60))}, "photo",
     "minimal 120 piksel"),
    ({"photo": SimpleUploadedFile("a.png", biometrics.png(200, 200, (1, 2, 3)))}, "photo",
     "Tidak ada wajah"),
    ({"signature": None}, "signature", "Tanda tangan belum direkam"),
    ({"fingerprints": fingerprint_file(content=b"{not json")}, "fingerprints",
     "tidak terbaca"),
    ({"fingerprints": fingerprint_file(content=json.dumps({"2": [0.1] * 128}).encode())},
     "fingerprints", "minimal 2 jari"),
    ({"fingerprints": fingerprint_file(content=json.dumps(
        {"2": [0.1] * 128, "11": [0.2] * 128}).encode())}, "fingerprints", "Posisi jari"),
    ({"fingerprints": fingerprint_file(content=json.dumps(
        {"2": [0.1] * 128, "7": [0.0] * 128}).encode())}, "fingerprints", "Rekam ulang"),
])
def test_bad_input_is_shown_at_its_field_and_writes_nothing(client, maria, faces, override,
                                                            field, message):
    _login(client, "recording operator, Alak")
    before = row_counts()
    response = client.post(_form(maria), good_post(faces, **override))
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert message in response.content.decode()
    assert row_counts() == before


def test_a_resident_too_young_is_refused_with_a_clear_message(client, faces):
    from datetime import date
    child = PersonFactory(birth_date=date.today().replace(year=date.today().year - 10))
    _login(client, "recording operator, Alak")
    before = row_counts()
    response = client.post(_form(child), good_post(faces))
    assert response.status_code == 400 and "mulai usia 16 tahun" in response.content.decode()
    assert row_counts() == before


# --- inline checks ----------------------------------------------------------------------------

def test_inline_check_answers_the_fields_message(client, faces):
    _login(client, "recording operator, Alak")
    bad = client.post(_check("photo"), {"photo": SimpleUploadedFile("a.png", b"xx")}, **HTMX)
    assert bad.status_code == 200
    assert 'id="check-photo"' in bad.content.decode() and "bukan gambar" in bad.content.decode()
    good = client.post(_check("fingerprints"), {"fingerprints": fingerprint_file()}, **HTMX)
    assert "Memenuhi syarat" in good.content.decode()
    missing = client.post(_check("signature"), {}, **HTMX)
    assert "Belum ada berkas" in missing.content.decode()
    assert client.post(_check("nik"), {}, **HTMX).status_code == 404
    assert not Enrollment.objects.exists()


def test_the_form_loads_the_camera_script_and_no_inline_code(client, maria):
    _login(client, "recording operator, Alak")
    page = client.get(_form(maria)).content.decode()
    assert 'src="/static/ektp/camera.js"' in page
    assert "<style" not in page and " style=" not in page and "onclick" not in page
    assert 'hx-post="/perekaman/periksa/photo"' in page


@pytest.mark.parametrize("rows", [3, 30])
def test_the_resident_search_queries_are_pinned(client, django_assert_num_queries, rows):
    for n in range(rows):
        PersonFactory(name=f"PETRUS LAKAPU {n:03d}")
    _login(client, "recording operator, Alak")
    with django_assert_num_queries(4):
        assert client.post(START, {"q": "PETRUS"}, **HTMX).status_code == 200
