"""The devices API: offices with capacity, devices per office, registration, breakdowns,
repairs, retirement and uncovered kecamatan; a permission matrix for every endpoint (denials
change nothing)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ektp.accounts import rules as roles
from ektp.devices.models import Breakdown, Device
from ektp.devices.services import (
    device_register,
    device_report_breakdown,
    device_start_repair,
    office_create,
)
from ektp.devices.tests.factories import ALAK, KOTA_KUPANG, device, snapshot
from ektp.enrollment.tests.factories import user

pytestmark = pytest.mark.django_db

URL = "/api/devices"
KOTA_DEPOK = "32.76"


@pytest.fixture
def dinas():
    return office_create(actor=None, code="DINAS-5371", name="Dinas Dukcapil Kota Kupang",
                         kind="dinas", region_code=KOTA_KUPANG, prints_cards=True)


@pytest.fixture
def printer(dinas):
    return device(dinas)


@pytest.fixture
def api(client):
    client.force_login(user(roles.PRINT_OPERATOR, KOTA_KUPANG, username="teknisi"))
    return client


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


# --- reads --------------------------------------------------------------------------------------


def test_offices_show_their_printers_and_cards_a_day(api, dinas):
    for status in ("working", "working", "degraded", "broken"):
        device(dinas, status=status)
    office_create(actor=None, code="DINAS-3276", name="Depok", kind="dinas",
                  region_code=KOTA_DEPOK, prints_cards=True)
    response = api.get(f"{URL}/offices")
    assert response.status_code == 200, response.content
    [office] = response.json()
    assert (office["code"], office["region_code"], office["printers"],
            office["printers_working"], office["printers_degraded"], office["cards_per_day"]) == (
        "DINAS-5371", KOTA_KUPANG, 4, 2, 1, 475)


def test_offices_filter_print_points(api, dinas):
    office_create(actor=None, code="UPT-ALAK", name="UPT Alak", kind="upt", region_code=ALAK,
                  records_biometrics=True)
    codes = [o["code"] for o in api.get(f"{URL}/offices", {"prints_cards": "false"}).json()]
    assert codes == ["UPT-ALAK"]


def test_an_office_lists_its_devices_with_their_open_breakdown(api, dinas, printer):
    broken = device(dinas, status="broken")
    response = api.get(f"{URL}/offices/{dinas.pk}/devices")
    assert response.status_code == 200, response.content
    by_id = {d["id"]: d for d in response.json()}
    assert by_id[printer.pk]["open_breakdown"] is None
    assert by_id[broken.pk]["status"] == "broken"
    assert by_id[broken.pk]["open_breakdown"]["description"] == "uji"


def test_the_device_list_costs_the_same_queries_whatever_its_length(api, dinas, printer):
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(f"{URL}/offices/{dinas.pk}/devices").json()) == 1
    for status in ("broken", "degraded", "working"):
        device(dinas, status=status)
    with CaptureQueriesContext(connection) as four:
        assert len(api.get(f"{URL}/offices/{dinas.pk}/devices").json()) == 4
    assert len(four) == len(one)


def test_uncovered_kecamatan_of_the_user_s_region(api):
    alak = office_create(actor=None, code="UPT-ALAK", name="UPT Alak", kind="upt",
                         region_code=ALAK, records_biometrics=True)
    device(alak, kind="recording_kit")
    response = api.get(f"{URL}/uncovered-districts")
    assert response.status_code == 200, response.content
    codes = [d["code"] for d in response.json()]
    assert ALAK not in codes and len(codes) == 5
    assert api.get(f"{URL}/uncovered-districts", {"region": "5371"}).json() == response.json()
    assert api.get(f"{URL}/uncovered-districts", {"region": ALAK}).json() == []


@pytest.mark.parametrize(("region", "status", "code"), [
    (KOTA_DEPOK, 404, "region_unknown"),  # outside the user's region
    ("53", 404, "region_unknown"),  # the province is wider than the user's region
    ("99.99", 404, "region_unknown"),
])
def test_uncovered_kecamatan_outside_the_user_s_region_are_404(api, region, status, code):
    assert_refused(api.get(f"{URL}/uncovered-districts", {"region": region}), status, code)


def test_a_central_administrator_names_the_region(client):
    client.force_login(user(roles.CENTRAL_ADMIN, None))
    assert_refused(client.get(f"{URL}/uncovered-districts"), 400, "region_required")
    response = client.get(f"{URL}/uncovered-districts", {"region": KOTA_DEPOK})
    assert response.status_code == 200 and len(response.json()) == 11


# --- writes -------------------------------------------------------------------------------------


def test_a_device_is_registered(api, dinas):
    response = post(api, URL, {"office_id": dinas.pk, "kind": "card_printer",
                               "serial_number": "HDP5000-777", "model_name": "Fargo HDP5000"})
    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["open_breakdown"]) == ("working", None)
    assert Device.objects.filter(serial_number="HDP5000-777").exists()


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"kind": "fax"}, 422, "validation_error"),
    ({"serial_number": ""}, 422, "validation_error"),
    ({"serial_number": "SN-TAKEN"}, 409, "device_exists"),
    ({"office_id": 987654321}, 404, "office_unknown"),
])
def test_a_bad_registration_is_refused_and_nothing_written(api, dinas, body, status, code):
    device_register(actor=None, office_id=dinas.pk, kind="card_printer", serial_number="SN-TAKEN")
    before = snapshot()
    payload = {"office_id": dinas.pk, "kind": "card_printer", "serial_number": "SN-NEW", **body}
    assert_refused(post(api, URL, payload), status, code)
    assert snapshot() == before


def test_a_breakdown_its_repair_and_a_retirement(api, printer):
    reported = post(api, f"{URL}/{printer.pk}/breakdowns",
                    {"description": "Film putus", "state": "degraded"})
    assert reported.status_code == 201, reported.content
    assert reported.json()["degraded_only"] is True
    assert Device.objects.get(pk=printer.pk).status == "degraded"
    assert post(api, f"{URL}/{printer.pk}/repair/start").json()["repair_started_at"]
    closed = post(api, f"{URL}/{printer.pk}/repair/close", {"note": "Film diganti"})
    assert (closed.status_code, closed.json()["repair_note"]) == (200, "Film diganti")
    retired = post(api, f"{URL}/{printer.pk}/retire")
    assert (retired.status_code, retired.json()["status"]) == (200, "retired")


def test_a_second_breakdown_report_is_a_409(api, printer):
    device_report_breakdown(actor=None, device_id=printer.pk, description="Head rusak")
    before = snapshot()
    assert_refused(post(api, f"{URL}/{printer.pk}/breakdowns", {"description": "lagi"}), 409,
                   "breakdown_open")
    assert snapshot() == before


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("repair/start", None, 409, "breakdown_missing"),
    ("repair/close", {"note": "?"}, 409, "breakdown_missing"),
    ("breakdowns", {"description": "x", "state": "gone"}, 422, "validation_error"),
    ("breakdowns", {"description": ""}, 422, "validation_error"),
])
def test_a_refused_change_writes_nothing(api, printer, path, body, status, code):
    before = snapshot()
    assert_refused(post(api, f"{URL}/{printer.pk}/{path}", body), status, code)
    assert snapshot() == before


def test_a_retired_device_changes_no_more(api, printer):
    post(api, f"{URL}/{printer.pk}/retire")
    before = snapshot()
    assert_refused(post(api, f"{URL}/{printer.pk}/retire"), 409, "device_illegal_transition")
    assert_refused(post(api, f"{URL}/{printer.pk}/breakdowns", {"description": "x"}), 409,
                   "device_illegal_transition")
    assert snapshot() == before


# --- permissions --------------------------------------------------------------------------------

# Each endpoint: (method, url, body, success status) given the Dinas and a printer there.
ENDPOINTS = {
    "offices": lambda o, p: ("get", f"{URL}/offices", None, 200),
    "devices": lambda o, p: ("get", f"{URL}/offices/{o.pk}/devices", None, 200),
    "register": lambda o, p: ("post", URL, {"office_id": o.pk, "kind": "recording_kit",
                                            "serial_number": "REK-NEW"}, 201),
    "breakdown": lambda o, p: ("post", f"{URL}/{p.pk}/breakdowns",
                               {"description": "rusak"}, 201),
    "repair start": lambda o, p: ("post", f"{URL}/{p.pk}/repair/start", None, 200),
    "repair close": lambda o, p: ("post", f"{URL}/{p.pk}/repair/close", {"note": "ok"}, 200),
    "retire": lambda o, p: ("post", f"{URL}/{p.pk}/retire", None, 200),
    "uncovered": lambda o, p: ("get", f"{URL}/uncovered-districts?region={KOTA_KUPANG}",
                               None, 200),
}
WHO = {
    "anonymous": (None, 401),
    "no role": (("", KOTA_KUPANG), 403),
    "field officer": ((roles.FIELD_OFFICER, KOTA_KUPANG), 403),
    "print operator, Kota Depok": ((roles.PRINT_OPERATOR, KOTA_DEPOK), 404),
    "print operator, Kota Kupang": ((roles.PRINT_OPERATOR, KOTA_KUPANG), None),
}


def call(client, method: str, url: str, body):
    return client.get(url) if method == "get" else post(client, url, body)


def printer_for(dinas, endpoint: str) -> Device:
    """A printer in the state the endpoint acts on."""
    if endpoint not in ("repair start", "repair close"):
        return device(dinas)
    broken = device(dinas, status="broken")
    if endpoint == "repair close":
        device_start_repair(actor=None, device_id=broken.pk)
    return broken


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("who", WHO)
def test_permission_matrix(client, dinas, endpoint, who):
    printer = printer_for(dinas, endpoint)
    identity, refused_with = WHO[who]
    if identity is not None:
        client.force_login(user(*identity))
    method, url, body, success = ENDPOINTS[endpoint](dinas, printer)
    before = snapshot()
    response = call(client, method, url, body)
    if refused_with is None:
        assert response.status_code == success, response.content
    elif refused_with == 404 and endpoint == "offices":
        # A list outside the user's region is simply empty.
        assert (response.status_code, response.json()) == (200, [])
    else:
        assert response.status_code == refused_with, response.content
        assert snapshot() == before


@pytest.mark.parametrize(("role", "endpoint", "status"), [
    (roles.RECORDING_OPERATOR, "devices", 200),
    (roles.RECORDING_OPERATOR, "breakdown", 403),  # sees devices, reports through a manager
    (roles.STOCK_KEEPER, "retire", 403),
    (roles.SUPERVISOR, "breakdown", 201),
    (roles.HEAD_OF_OFFICE, "register", 403),
])
def test_each_role_may_do_only_its_part(client, dinas, role, endpoint, status):
    printer = device(dinas)
    client.force_login(user(role, KOTA_KUPANG))
    before = Breakdown.objects.count(), Device.objects.count()
    method, url, body, _success = ENDPOINTS[endpoint](dinas, printer)
    assert call(client, method, url, body).status_code == status
    if status == 403:
        assert (Breakdown.objects.count(), Device.objects.count()) == before


def test_the_admin_only_looks(client, dinas, printer):
    client.force_login(user(roles.CENTRAL_ADMIN, None, is_staff=True, is_superuser=True))
    for url in ("/admin/devices/office/", f"/admin/devices/office/{dinas.pk}/change/",
                "/admin/devices/device/", f"/admin/devices/device/{printer.pk}/change/",
                "/admin/devices/breakdown/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/devices/device/add/").status_code == 403
