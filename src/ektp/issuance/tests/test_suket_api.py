"""The certificates API and the public verify page: issue, PDF, revoke with a permission matrix
(denials change nothing), verify without login, and a page that never shows the full NIK."""

import pytest
from django.test import Client

from ektp.accounts import rules as roles
from ektp.audit.models import AuditEvent
from ektp.enrollment.tests.factories import ALAK, KOTA_DEPOK, KOTA_KUPANG, user
from ektp.issuance import rules
from ektp.issuance.suket_services import certificate_revoke, certificates_supersede, verify_link
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
    tampered,
    tampered_signature,
)

pytestmark = pytest.mark.django_db

URL = "/api/certificates"
PAGE = "/suket/verifikasi"
VERIFY_FIELDS = {"status", "number", "name", "nik_masked", "birth_date", "issued_on",
                 "valid_until", "office_code"}


@pytest.fixture
def supervisor():
    return user(roles.SUPERVISOR, KOTA_KUPANG, username="sup-kupang")


@pytest.fixture
def api(client, supervisor):
    client.force_login(supervisor)
    return client


def post(client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


# --- issue, pdf, revoke --------------------------------------------------------------------------


def test_issue_answers_201_with_number_dates_and_links_then_200_for_the_same(api):
    office, application = dinas(), print_ready()
    body = {"application_id": application.pk, "office_id": office.pk}
    response = post(api, URL, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("470/SKT/5371/") and data["status"] == "active"
    assert data["application_id"] == application.pk and data["office_code"] == "DINAS-KPG"
    assert data["links"]["pdf"] == f"http://testserver{URL}/{data['number']}/pdf"
    assert data["links"]["verify"].startswith(
        "https://dukcapil.kupangkota.example/suket/verifikasi?qr=EKTP-SKT1.")
    again = post(api, URL, body)
    assert again.status_code == 200 and again.json() == data


def test_issue_refusals_have_codes_and_change_nothing(api):
    office = dinas()
    duplicate = application_at(rules.S_DUP)
    before = register_state()
    assert_refused(post(api, URL, {"application_id": duplicate.pk, "office_id": office.pk}),
                   409, "certificate_not_allowed")
    assert_refused(post(api, URL, {"application_id": 999_999, "office_id": office.pk}),
                   404, "application_unknown")
    depok_office = dinas("DINAS-DPK", "32.76")
    assert_refused(post(api, URL, {"application_id": print_ready().pk,
                                   "office_id": depok_office.pk}), 404, "office_unknown")
    assert_refused(post(api, URL, {"application_id": "x"}), 422, "validation_error")
    assert register_state()[1] == before[1]


def test_pdf_is_the_a4_letter_and_is_audited_as_a_print(api, supervisor):
    certificate = issued()
    response = api.get(f"{URL}/{certificate.number}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF-")
    event = AuditEvent.objects.get(action="print")
    assert (event.actor, event.object_id) == (supervisor, str(certificate.pk))


def test_pdf_of_a_revoked_certificate_is_refused(api):
    certificate = issued()
    certificate_revoke(actor=None, number=certificate.number, reason="keliru")
    assert_refused(api.get(f"{URL}/{certificate.number}/pdf"), 409, "certificate_not_active")
    assert_refused(api.get(f"{URL}/470/SKT/5371/2020/000009/pdf"), 404, "certificate_unknown")


def test_revoke_needs_a_reason_and_then_the_qr_answers_revoked(api):
    certificate = issued()
    url = f"{URL}/{certificate.number}/revoke"
    assert_refused(post(api, url, {"reason": ""}), 422, "validation_error")
    assert_refused(post(api, url, {"reason": "   "}), 400, "reason_required")
    response = post(api, url, {"reason": "diterbitkan keliru"})
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert_refused(post(api, url, {"reason": "lagi"}), 409, "certificate_not_active")
    verify = post(Client(), f"{URL}/verify", {"qr": certificate.qr_text})
    assert verify.json()["status"] == "revoked"


# Who asks, and what each endpoint answers them (the certificate is in Alak, Kota Kupang).
MATRIX = {
    "anonymous": (None, {"issue": 401, "pdf": 401, "revoke": 401}),
    "no role": (("", KOTA_KUPANG), {"issue": 403, "pdf": 403, "revoke": 403}),
    "stock keeper": ((roles.STOCK_KEEPER, KOTA_KUPANG), {"issue": 403, "pdf": 403,
                                                         "revoke": 403}),
    "recording operator, Kota Depok": ((roles.RECORDING_OPERATOR, KOTA_DEPOK),
                                       {"issue": 404, "pdf": 404, "revoke": 403}),
    "supervisor, Kota Depok": ((roles.SUPERVISOR, KOTA_DEPOK),
                               {"issue": 404, "pdf": 404, "revoke": 404}),
    "recording operator, Alak": ((roles.RECORDING_OPERATOR, ALAK),
                                 {"issue": 200, "pdf": 200, "revoke": 403}),
    "print operator, Kota Kupang": ((roles.PRINT_OPERATOR, KOTA_KUPANG),
                                    {"issue": 200, "pdf": 200, "revoke": 403}),
    "supervisor, Kota Kupang": ((roles.SUPERVISOR, KOTA_KUPANG),
                                {"issue": 200, "pdf": 200, "revoke": 200}),
    "central admin, whole country": ((roles.CENTRAL_ADMIN, None),
                                     {"issue": 200, "pdf": 200, "revoke": 200}),
}


def _call(client, endpoint: str, certificate, office):
    if endpoint == "issue":
        return post(client, URL, {"application_id": certificate.application_id,
                                  "office_id": office.pk})
    if endpoint == "pdf":
        return client.get(f"{URL}/{certificate.number}/pdf")
    return post(client, f"{URL}/{certificate.number}/revoke", {"reason": "uji"})


@pytest.mark.parametrize("endpoint", ["issue", "pdf", "revoke"])
@pytest.mark.parametrize("who", list(MATRIX))
def test_permission_matrix(client, who, endpoint):
    identity, expected = MATRIX[who]
    # An office the asker may act for: the Kupang Dinas, or the Alak UPT for Alak's operator.
    office = dinas("UPT-ALAK", ALAK) if identity and identity[1] == ALAK else dinas()
    certificate = issued(office=office)
    if identity:
        client.force_login(user(identity[0], identity[1]))
    before = register_state()
    response = _call(client, endpoint, certificate, office)
    assert response.status_code == expected[endpoint], response.content
    if expected[endpoint] >= 400:
        assert set(response.json()) == {"detail", "code"}
        assert register_state() == before


# --- public verify -------------------------------------------------------------------------------


def test_verify_without_login_answers_only_what_the_paper_shows():
    certificate = issued()
    resident = certificate.application.resident
    response = post(Client(), f"{URL}/verify", {"qr": certificate.qr_text})
    assert response.status_code == 200, response.content
    data = response.json()
    assert set(data) == VERIFY_FIELDS
    assert data["status"] == "valid" and data["number"] == certificate.number
    assert data["nik_masked"] == resident.nik[:4] + "********" + resident.nik[-4:]
    assert data["birth_date"] == resident.birth_date.isoformat()
    assert resident.nik not in response.content.decode()


def test_verify_accepts_the_link_form():
    certificate = issued()
    response = post(Client(), f"{URL}/verify", {"qr": verify_link(certificate)})
    assert response.json()["status"] == "valid"


@pytest.mark.parametrize("change, status", [
    ("expire", "expired"), ("revoke", "revoked"), ("supersede", "superseded"),
])
def test_verify_reports_the_register(change, status):
    certificate = issued()
    if change == "expire":
        make_expired(certificate)
    elif change == "revoke":
        certificate_revoke(actor=None, number=certificate.number, reason="keliru")
    else:
        certificates_supersede(application_id=certificate.application_id)
    certificate.refresh_from_db()
    response = post(Client(), f"{URL}/verify", {"qr": certificate.qr_text})
    assert response.status_code == 200 and response.json()["status"] == status


def test_verify_refusals_are_400_with_the_code_and_write_nothing():
    certificate = issued()
    foreign = sign(certificate.number, certificate.issued_on,
                   resident=certificate.application.resident, key=FOREIGN_KEY)
    before = register_state()
    for text, codes in ((tampered(certificate.qr_text), {"qr_signature", "qr_format"}),
                        (tampered_signature(certificate.qr_text), {"qr_signature"}),
                        (foreign, {"qr_unknown_key"}), ("bukan QR", {"qr_format"})):
        response = post(Client(), f"{URL}/verify", {"qr": text})
        assert response.status_code == 400, response.content
        assert response.json()["code"] in codes
    assert_refused(post(Client(), f"{URL}/verify", {"qr": ""}), 422, "validation_error")
    assert register_state() == before


# --- the verify page -----------------------------------------------------------------------------


def _page(client: Client, **query) -> str:
    response = client.get(PAGE, query)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    return response.content.decode()


def test_the_page_without_a_qr_shows_the_form_in_indonesian():
    html = _page(Client())
    assert "Verifikasi Surat Keterangan Pengganti KTP-el" in html
    assert 'name="qr"' in html and "csrfmiddlewaretoken" in html
    assert "<script" not in html and "http" not in html.split("<body>")[1]


@pytest.mark.parametrize("change, heading", [
    (None, "SAH / VALID"), ("expire", "KEDALUWARSA"), ("revoke", "DICABUT"),
    ("supersede", "DIGANTI KTP-el"),
])
def test_the_page_shows_each_status_and_never_the_full_nik(change, heading):
    certificate = issued()
    resident = certificate.application.resident
    if change == "expire":
        make_expired(certificate)
    elif change == "revoke":
        certificate_revoke(actor=None, number=certificate.number, reason="keliru " + resident.nik)
    elif change == "supersede":
        certificates_supersede(application_id=certificate.application_id)
    certificate.refresh_from_db()
    html = _page(Client(), qr=certificate.qr_text)
    assert heading in html
    assert resident.name in html and certificate.number in html
    assert resident.nik[:4] + "********" + resident.nik[-4:] in html
    assert resident.nik not in html  # not even in a revocation reason


def test_a_phone_scanner_link_opens_the_answer():
    certificate = issued()
    link = verify_link(certificate)
    path_and_query = link.split("example", 1)[1]
    response = Client().get(path_and_query)
    assert response.status_code == 200 and "SAH / VALID" in response.content.decode()


@pytest.mark.parametrize("make, reason", [
    (lambda c: tampered_signature(c.qr_text), "telah diubah"),
    (lambda c: tampered(c.qr_text), "TIDAK SAH"),
    (lambda c: sign(c.number, c.issued_on, resident=c.application.resident, key=FOREIGN_KEY),
     "kunci yang tidak dikenal"),
    (lambda c: "teks sembarang", "bukan kode QR"),
], ids=["tampered signature", "tampered payload", "foreign key", "garbage"])
def test_the_page_says_tidak_sah_with_the_reason(make, reason):
    certificate = issued()
    html = _page(Client(), qr=make(certificate))
    assert "TIDAK SAH" in html and reason in html
    assert "SAH / VALID" not in html


def test_posting_the_form_needs_the_csrf_token():
    certificate = issued()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(PAGE, {"qr": certificate.qr_text}).status_code == 403
    token = strict.get(PAGE).cookies["csrftoken"].value
    response = strict.post(PAGE, {"qr": certificate.qr_text, "csrfmiddlewaretoken": token})
    assert response.status_code == 200 and "SAH / VALID" in response.content.decode()


def test_the_page_escapes_what_was_pasted():
    html = _page(Client(), qr="<script>alert(1)</script>")
    assert "TIDAK SAH" in html and "<script" not in html and "&lt;script&gt;" in html
