"""The residents API: happy paths, every refused input with its code and nothing written, and a
permission matrix (anonymous / no role / other region / right region) for every endpoint."""

import base64
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from ektp.accounts import rules as roles
from ektp.audit.models import AuditEvent
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.issuance.services import application_start
from ektp.residents import reference
from ektp.residents.models import Family, Resident
from ektp.residents.tests.factories import (
    DEPOK,
    KOTA_DEPOK,
    NAMOSAIN,
    NUNBAUN_SABU,
    OEPURA,
    FamilyFactory,
    ResidentFactory,
    UserFactory,
    resident_payload,
    row_counts,
)

pytestmark = pytest.mark.django_db

RESIDENTS = "/api/residents"
FAMILIES = "/api/residents/families"


def post(client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def assert_invalid(response, error_type: str) -> None:
    """A 422 from the schema, with the stable error type of the offending field."""
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert error_type in {error["type"] for error in body["detail"]}


@pytest.fixture
def supervisor():
    return UserFactory(role=roles.SUPERVISOR, region_id="53.71")


@pytest.fixture
def api(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.fixture
def family():
    return FamilyFactory(village_id=NAMOSAIN)


@pytest.fixture
def resident(family):
    return ResidentFactory(family=family)


# --- families -----------------------------------------------------------------------------------


def test_create_family_issues_a_kk_number(api):
    response = post(api, FAMILIES, {"village_code": "5371011001", "address": "Jl. Alak",
                                    "rt": "1", "rw": "12"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kk_number"] == f"537101{timezone.localdate():%d%m%y}0001"
    assert (body["village_code"], body["address"], body["rt"], body["rw"]) == (
        NAMOSAIN, "JL. ALAK", "001", "012")


def test_create_family_with_its_kk_number(api):
    response = post(api, FAMILIES, {"village_code": NAMOSAIN, "address": "JL. A", "rt": "1",
                                    "rw": "1", "kk_number": "5371011503200009"})
    assert response.status_code == 201
    assert Family.objects.get(pk=response.json()["id"]).kk_number == "5371011503200009"


def _future_kk() -> str:
    return f"537101{timezone.localdate() + timedelta(days=1):%d%m%y}0001"


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"village_code": "53.71.01.9999"}, 404, "region_unknown"),
    ({"village_code": "99.99"}, 404, "region_unknown"),
    ({"village_code": "53.71.01"}, 400, "region_not_village"),
    ({"village_code": DEPOK}, 404, "region_unknown"),  # real, but outside Kota Kupang
    ({"kk_number": _future_kk()}, 400, "kk_date_future"),
    ({"kk_number": "5371011503"}, 400, "kk_format"),
    ({"kk_number": "5371013102200001"}, 400, "kk_date"),
])
def test_bad_family_is_refused_and_nothing_written(api, changes, status, code):
    body = {"village_code": NAMOSAIN, "address": "JL. A", "rt": "1", "rw": "1", **changes}
    before = row_counts()
    assert_refused(post(api, FAMILIES, body), status, code)
    assert row_counts() == before


@pytest.mark.parametrize(("changes", "error_type"), [
    ({"rt": "abc"}, "string_pattern_mismatch"),
    ({"rw": "1000"}, "string_pattern_mismatch"),
    ({"address": ""}, "string_too_short"),
    ({"village_code": None}, "string_type"),
    ({"colour": "red"}, "extra_forbidden"),
])
def test_malformed_family_is_a_422_and_nothing_written(api, changes, error_type):
    body = {"village_code": NAMOSAIN, "address": "JL. A", "rt": "1", "rw": "1", **changes}
    before = row_counts()
    assert_invalid(post(api, FAMILIES, body), error_type)
    assert row_counts() == before


def test_a_duplicate_kk_number_is_a_conflict(api, family):
    before = row_counts()
    response = post(api, FAMILIES, {"village_code": NAMOSAIN, "address": "JL. A", "rt": "1",
                                    "rw": "1", "kk_number": family.kk_number})
    assert_refused(response, 409, "kk_exists")
    assert row_counts() == before


# --- registering residents ----------------------------------------------------------------------


def test_register_issues_a_nik(api, family, supervisor):
    response = post(api, RESIDENTS, resident_payload(family.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["nik"] == "5371014708950001"
    assert body["nik_warnings"] == []
    assert (body["name"], body["kk_number"], body["village_code"]) == (
        "MARIA GORETI LAKAPU", family.kk_number, NAMOSAIN)
    assert body["wajib_ktp"] is True
    assert Resident.objects.get(nik=body["nik"]).events.get().actor == supervisor


def test_register_with_an_old_nik_returns_its_warnings(api, family):
    payload = resident_payload(family.pk, nik="9101014708950003", birth_date="1995-08-09")
    response = post(api, RESIDENTS, payload)
    assert response.status_code == 201, response.content
    codes = [warning["code"] for warning in response.json()["nik_warnings"]]
    assert codes == ["nik_region_unknown", "nik_birth_date_mismatch"]


def _tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"nik": "53710147089"}, 400, "nik_format"),
    ({"nik": "5371014713950001"}, 400, "nik_month"),
    ({"nik": "5371010008950001"}, 400, "nik_day"),
    ({"nik": "5371013102950001"}, 400, "nik_date"),
    ({"birth_date": _tomorrow()}, 400, "birth_date_future"),
    ({"name": "Maria"}, 400, "name_one_word"),
    ({"name": "A" * 30 + " " + "B" * 30}, 400, "name_too_long"),
    ({"name": "Maria 2 Lakapu"}, 400, "name_characters"),
    ({"family_id": 999_999}, 404, "family_unknown"),
])
def test_bad_resident_is_refused_and_nothing_written(api, family, changes, status, code):
    before = row_counts()
    assert_refused(post(api, RESIDENTS, {**resident_payload(family.pk), **changes}), status, code)
    assert row_counts() == before


@pytest.mark.parametrize(("changes", "error_type"), [
    ({"religion": 99}, "reference_code_unknown"),
    ({"sex": 3}, "reference_code_unknown"),
    ({"occupation": 0}, "reference_code_unknown"),
    ({"marital_status": 5}, "reference_code_unknown"),
    ({"blood_type": 14}, "reference_code_unknown"),
    ({"relationship": 12}, "reference_code_unknown"),
    ({"citizenship": "XYZ"}, "literal_error"),
    ({"birth_date": "1995-02-30"}, "date_from_datetime_parsing"),
    ({"birth_place": ""}, "string_too_short"),
    ({"name": "A " * 200}, "string_too_long"),
])
def test_malformed_resident_is_a_422_and_nothing_written(api, family, changes, error_type):
    before = row_counts()
    assert_invalid(post(api, RESIDENTS, {**resident_payload(family.pk), **changes}), error_type)
    assert row_counts() == before


def test_a_missing_field_is_a_422(api, family):
    payload = resident_payload(family.pk)
    del payload["religion"]
    assert_invalid(post(api, RESIDENTS, payload), "missing")


def test_a_duplicate_nik_is_a_conflict(api, resident):
    before = row_counts()
    payload = resident_payload(resident.family_id, nik=resident.nik, birth_date="1990-01-01",
                               sex=reference.LAKI_LAKI)
    assert_refused(post(api, RESIDENTS, payload), 409, "nik_exists")
    assert row_counts() == before


# --- reads ---------------------------------------------------------------------------------------


def test_list_masks_the_nik_and_filters(api, family):
    maria = ResidentFactory(family=family, name="MARIA LAKAPU", nik="5371014708950001")
    ResidentFactory(family=family, name="YAKOBUS TEFA")
    response = api.get(RESIDENTS, {"q": "lakapu"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["nik_masked"] == "5371********0001"
    assert body["items"][0]["village_code"] == NAMOSAIN
    assert maria.nik not in response.content.decode()
    assert "nik" not in body["items"][0]
    assert api.get(RESIDENTS, {"nik": "5371 0147 0895 0001"}).json()["count"] == 1
    assert api.get(RESIDENTS, {"kk": family.kk_number}).json()["count"] == 2
    assert api.get(RESIDENTS, {"kk": "5371011503200999"}).json()["count"] == 0


def test_list_is_paginated(api, family):
    ResidentFactory.create_batch(5, family=family)
    body = api.get(RESIDENTS, {"limit": 2, "offset": 4}).json()
    assert body["count"] == 5
    assert len(body["items"]) == 1


def test_list_does_not_write_audit_rows(api, resident):
    api.get(RESIDENTS)
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("rows", [1, 25])
def test_list_runs_the_same_few_queries_whatever_the_page_size(
        api, family, rows, django_assert_max_num_queries):
    ResidentFactory.create_batch(rows, family=family)
    # session, user, count, page: no query per row.
    with django_assert_max_num_queries(4):
        response = api.get(RESIDENTS)
    assert response.json()["count"] == rows


def test_detail_shows_the_full_record_and_is_audited(api, resident, supervisor):
    response = api.get(f"{RESIDENTS}/{resident.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["nik"] == resident.nik
    assert (body["kk_number"], body["village_name"]) == (resident.family.kk_number, "Namosain")
    audit = AuditEvent.objects.get()
    assert (audit.action, audit.actor, audit.nik, audit.object_id) == (
        "read", supervisor, resident.nik, str(resident.pk))


@pytest.mark.parametrize(("birth_date", "marital_status", "status", "expected"), [
    (date(1990, 1, 1), reference.BELUM_KAWIN, "active", True),
    (date.today() - timedelta(days=365 * 10), reference.BELUM_KAWIN, "active", False),
    (date.today() - timedelta(days=365 * 16), reference.KAWIN, "active", True),
    (date(1990, 1, 1), reference.KAWIN, "deceased", False),
])
def test_detail_says_whether_the_resident_must_hold_a_ktp(
        api, family, birth_date, marital_status, status, expected):
    resident = ResidentFactory(family=family, birth_date=birth_date,
                               marital_status=marital_status, status=status)
    assert api.get(f"{RESIDENTS}/{resident.pk}").json()["wajib_ktp"] is expected


def test_a_foreigner_must_hold_a_ktp_only_while_the_kitap_runs(api, family):
    today = timezone.localdate()
    running = ResidentFactory(family=family, citizenship="WNA", kitap_expiry=today)
    expired = ResidentFactory(family=family, citizenship="WNA",
                              kitap_expiry=today - timedelta(days=1))
    assert api.get(f"{RESIDENTS}/{running.pk}").json()["wajib_ktp"] is True
    assert api.get(f"{RESIDENTS}/{expired.pk}").json()["wajib_ktp"] is False


def test_events_show_the_history(api, resident):
    post(api, f"{RESIDENTS}/{resident.pk}/changes", {
        "changes": {"occupation": 65}, "document_type": "sk_kerja", "document_ref": "SK/1"})
    response = api.get(f"{RESIDENTS}/{resident.pk}/events")
    assert response.status_code == 200
    [event] = response.json()
    assert (event["kind"], event["changes"]) == ("data_changed", {"occupation": ["9", "65"]})
    assert AuditEvent.objects.filter(action="read", purpose="history").count() == 1


def test_http_basic_auth_is_accepted(client, resident):
    UserFactory(username="basic", role=roles.PRINT_OPERATOR, region_id="53.71.01")
    token = base64.b64encode(b"basic:rahasia-kupang-2026").decode()
    response = client.get(f"{RESIDENTS}/{resident.pk}", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 200


def test_wrong_basic_credentials_are_a_401(client, resident):
    UserFactory(username="basic")
    token = base64.b64encode(b"basic:wrong").decode()
    response = client.get(RESIDENTS, HTTP_AUTHORIZATION=f"Basic {token}")
    assert_refused(response, 401, "unauthenticated")


# --- life events --------------------------------------------------------------------------------


def test_move_to_a_new_kk_in_another_kecamatan(api, resident):
    old_kk = resident.family.kk_number
    response = post(api, f"{RESIDENTS}/{resident.pk}/move", {
        "document_ref": "SKPWNI/5371/2026/7", "to_village_code": OEPURA,
        "address": "Jl. Oepura", "rt": "4", "rw": "2"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["nik"], body["village_code"], body["rt"]) == (resident.nik, OEPURA, "004")
    assert body["kk_number"] != old_kk and body["kk_number"].startswith("537102")


def test_move_into_an_existing_kk(api, resident):
    destination = FamilyFactory(village_id=OEPURA)
    response = post(api, f"{RESIDENTS}/{resident.pk}/move", {
        "document_ref": "SKPWNI/1", "to_kk_number": destination.kk_number})
    assert response.status_code == 200, response.content
    assert response.json()["kk_number"] == destination.kk_number


@pytest.mark.parametrize(("body", "check"), [
    ({"document_ref": "SKPWNI/1"}, (422, "destination_required")),
    ({"document_ref": "SKPWNI/1", "to_village_code": OEPURA}, (422, "address_required")),
    ({"document_ref": " ", "to_village_code": OEPURA, "address": "A"},
     (400, "document_required")),
    ({"document_ref": "SKPWNI/1", "to_village_code": DEPOK, "address": "A"},
     (404, "region_unknown")),
    ({"document_ref": "SKPWNI/1", "to_kk_number": "3276011503200001"},
     (404, "family_unknown")),
])
def test_bad_move_is_refused_and_nothing_written(api, resident, body, check):
    FamilyFactory(kk_number="3276011503200001", village_id=DEPOK)  # outside Kota Kupang
    before = row_counts()
    response = post(api, f"{RESIDENTS}/{resident.pk}/move", body)
    status, code = check
    if status == 422:
        assert_invalid(response, code)
    else:
        assert_refused(response, status, code)
    assert row_counts() == before
    assert Resident.objects.get(pk=resident.pk).family_id == resident.family_id


def test_death_cancels_open_applications(api, resident, supervisor):
    application = application_start(actor=supervisor, resident=resident, kind="new",
                                    status=issuance_rules.S_BIO)
    response = post(api, f"{RESIDENTS}/{resident.pk}/death",
                    {"died_on": "2026-01-02", "document_ref": "AKTA-KM/1"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["wajib_ktp"]) == ("deceased", False)
    assert Application.objects.get(pk=application.pk).status == "CANCELLED"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"died_on": _tomorrow(), "document_ref": "AKTA/1"}, 400, "date_future"),
    ({"died_on": "1980-01-01", "document_ref": "AKTA/1"}, 400, "death_before_birth"),
    ({"died_on": "2026-01-02", "document_ref": ""}, 400, "document_required"),
])
def test_bad_death_is_refused_and_nothing_written(api, resident, body, status, code):
    before = row_counts()
    assert_refused(post(api, f"{RESIDENTS}/{resident.pk}/death", body), status, code)
    assert row_counts() == before
    assert Resident.objects.get(pk=resident.pk).status == "active"


def test_a_second_death_is_a_conflict(api, resident):
    body = {"died_on": "2026-01-02", "document_ref": "AKTA/1"}
    post(api, f"{RESIDENTS}/{resident.pk}/death", body)
    assert_refused(post(api, f"{RESIDENTS}/{resident.pk}/death", body), 409,
                   "resident_deceased")


def test_change_a_static_element_with_an_akta(api, resident):
    response = post(api, f"{RESIDENTS}/{resident.pk}/changes", {
        "changes": {"birth_date": "1990-01-02", "blood_type": 4},
        "document_type": "akta_lahir", "document_ref": "AL/9"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["birth_date"], body["blood_type"]) == ("1990-01-02", 4)
    assert [w["code"] for w in body["nik_warnings"]] == ["nik_birth_date_mismatch"]


def test_clear_the_kitap_expiry_with_null(api, family):
    resident = ResidentFactory(family=family, citizenship="WNA", kitap_expiry=date(2030, 1, 1))
    response = post(api, f"{RESIDENTS}/{resident.pk}/changes", {
        "changes": {"citizenship": "WNI", "kitap_expiry": None},
        "document_type": "sk_kewarganegaraan", "document_ref": "SK/2"})
    assert response.status_code == 200, response.content
    assert (response.json()["citizenship"], response.json()["kitap_expiry"]) == ("WNI", None)


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"changes": {"nik": "5371010101900099"}, "document_type": "akta_lahir"},
     400, "nik_immutable"),
    ({"changes": {"birth_date": "1990-01-02"}, "document_type": "sk_kerja"},
     400, "static_document_required"),
    ({"changes": {}, "document_type": "sk_kerja"}, 400, "no_changes"),
    ({"changes": {"name": "Yohanes"}, "document_type": "sk_kerja"}, 400, "name_one_word"),
    ({"changes": {"name": None}, "document_type": "sk_kerja"}, 422, "null_not_allowed"),
    ({"changes": {"status": "deceased"}, "document_type": "sk_kerja"}, 422, "extra_forbidden"),
    ({"changes": {"religion": 8}, "document_type": "sk_kerja"}, 422,
     "reference_code_unknown"),
])
def test_refused_change_writes_nothing(api, resident, body, status, code):
    before = row_counts()
    response = post(api, f"{RESIDENTS}/{resident.pk}/changes", {"document_ref": "DOC/1", **body})
    if status == 422:
        assert_invalid(response, code)
    else:
        assert_refused(response, status, code)
    assert row_counts() == before
    unchanged = Resident.objects.get(pk=resident.pk)
    assert (unchanged.nik, unchanged.birth_date, unchanged.name) == (
        resident.nik, resident.birth_date, resident.name)


# --- permission matrix --------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # with {id} for the resident and {family} for its family
    body: dict | None
    ok: int

    @property
    def writes(self) -> bool:
        return self.method == "post"

    def call(self, client, resident):
        url = self.path.format(id=resident.pk)
        if not self.writes:
            return client.get(url)
        body = {key: (resident.family_id if value == "{family}" else value)
                for key, value in self.body.items()}
        return post(client, url, body)


ENDPOINTS = [
    Endpoint("create family", "post", FAMILIES,
             {"village_code": NAMOSAIN, "address": "JL. A", "rt": "1", "rw": "1"}, 201),
    Endpoint("register", "post", RESIDENTS, resident_payload("{family}"), 201),
    Endpoint("list", "get", RESIDENTS, None, 200),
    Endpoint("detail", "get", RESIDENTS + "/{id}", None, 200),
    Endpoint("events", "get", RESIDENTS + "/{id}/events", None, 200),
    Endpoint("move", "post", RESIDENTS + "/{id}/move",
             {"document_ref": "SKPWNI/1", "to_village_code": NUNBAUN_SABU, "address": "JL. B"},
             200),
    Endpoint("death", "post", RESIDENTS + "/{id}/death",
             {"died_on": "2026-01-02", "document_ref": "AKTA/1"}, 200),
    Endpoint("changes", "post", RESIDENTS + "/{id}/changes",
             {"changes": {"occupation": 65}, "document_type": "sk", "document_ref": "SK/1"},
             200),
]

# Who asks: (role, region) or None for anonymous.
CALLERS = {
    "anonymous": None,
    "no role": ("", "53.71"),
    "view-only role": (roles.RECORDING_OPERATOR, "53.71"),
    "other region": (roles.SUPERVISOR, KOTA_DEPOK),
    "right region": (roles.SUPERVISOR, "53.71"),
    "right kecamatan": (roles.SUPERVISOR, "53.71.01"),
}


def expected_answer(caller: str, endpoint: Endpoint) -> tuple[int, str | None]:
    """(status, code) the matrix expects; code None for a success."""
    if caller == "anonymous":
        return 401, "unauthenticated"
    if caller == "no role":
        return (403, "forbidden") if endpoint.writes else (404, "resident_unknown")
    if caller == "view-only role":
        return (403, "forbidden") if endpoint.writes else (endpoint.ok, None)
    if caller == "other region":
        if endpoint.name == "create family":
            return 404, "region_unknown"
        if endpoint.name == "register":
            return 404, "family_unknown"
        return 404, "resident_unknown"
    return endpoint.ok, None


def snapshot(resident) -> tuple:
    resident = Resident.objects.get(pk=resident.pk)
    return row_counts(), (resident.status, resident.family_id, resident.occupation)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("caller", list(CALLERS))
def test_permission_matrix(client, resident, caller, endpoint):
    if CALLERS[caller] is not None:
        role, region = CALLERS[caller]
        client.force_login(UserFactory(role=role, region_id=region))
    before = snapshot(resident)
    response = endpoint.call(client, resident)
    status, code = expected_answer(caller, endpoint)
    if endpoint.name == "list" and status == 404:
        # A list never says 404: out of scope simply means nothing is listed.
        assert (response.status_code, response.json()["count"]) == (200, 0)
    elif code is None:
        assert response.status_code == status, response.content
    else:
        assert_refused(response, status, code)
    if code is not None:
        assert snapshot(resident) == before
