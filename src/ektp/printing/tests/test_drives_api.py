"""The printing-drive API: the permission matrix of every endpoint (denials change nothing),
live progress, requests and idempotent deliveries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ektp.accounts import rules as roles
from ektp.enrollment.tests.factories import user
from ektp.printing.models import DriveSupply
from ektp.printing.tests.drive_factories import KOTA_KUPANG, drive_world, print_one, snapshot
from ektp.printing.tests.factories import KOTA_DEPOK

pytestmark = pytest.mark.django_db
URL = "/api/drives"

WHO = {
    "no role": ("", KOTA_KUPANG),
    "field officer, Alak": (roles.FIELD_OFFICER, "53.71.01"),
    "print operator, Depok": (roles.PRINT_OPERATOR, KOTA_DEPOK),
    "print operator, Kupang": (roles.PRINT_OPERATOR, KOTA_KUPANG),
    "head of office, Depok": (roles.HEAD_OF_OFFICE, KOTA_DEPOK),
    "head of office, Kupang": (roles.HEAD_OF_OFFICE, KOTA_KUPANG),
    "stock keeper, Depok": (roles.STOCK_KEEPER, KOTA_DEPOK),
    "stock keeper, Kupang": (roles.STOCK_KEEPER, KOTA_KUPANG),
}


@pytest.fixture
def world():
    return drive_world(waiting=2, dinas_blanks=10)


def _as(client, who):
    if who != "anonymous":
        client.force_login(user(*WHO[who]))
    return client


def _call(client, method, url, body=None):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, body or {}, content_type="application/json")


def _endpoints(world):
    now, drive, point = timezone.now(), world.drive.pk, world.namosain_point.pk
    return {
        "list": ("get", URL, None),
        "create": ("post", URL, {"name": "Cetak massal Alak", "region_code": "53.71.01",
                                 "starts_at": now.isoformat(),
                                 "ends_at": (now + timedelta(days=2)).isoformat()}),
        "progress": ("get", f"{URL}/{drive}", None),
        "point": ("put", f"{URL}/{drive}/points", {"office_id": world.namosain.pk,
                                                   "target": 9}),
        "request": ("post", f"{URL}/{drive}/points/{point}/request", {}),
        "supply": ("post", f"{URL}/{drive}/points/{point}/supply", {
            "quantity": 2, "handover_ref": "BA-1", "idempotency_key": "k-1",
            "from_office_id": world.dinas.pk}),
    }


EXPECTED = {
    "list": {"anonymous": 401, "no role": 403, "field officer, Alak": 403,
             "print operator, Depok": 200, "print operator, Kupang": 200},
    "create": {"anonymous": 401, "no role": 403, "print operator, Kupang": 403,
               "head of office, Depok": 404, "head of office, Kupang": 201},
    "progress": {"anonymous": 401, "no role": 403, "field officer, Alak": 403,
                 "print operator, Depok": 404, "print operator, Kupang": 200},
    "point": {"anonymous": 401, "no role": 403, "print operator, Kupang": 403,
              "head of office, Depok": 404, "head of office, Kupang": 200},
    "request": {"anonymous": 401, "no role": 403, "print operator, Kupang": 403,
                "head of office, Kupang": 403, "stock keeper, Depok": 404,
                "stock keeper, Kupang": 201},
    "supply": {"anonymous": 401, "no role": 403, "print operator, Kupang": 403,
               "stock keeper, Depok": 404, "stock keeper, Kupang": 200},
}
CASES = [(name, who, status) for name, by_who in EXPECTED.items()
         for who, status in by_who.items()]


@pytest.mark.parametrize("name, who, status", CASES)
def test_permission_matrix(client, world, name, who, status):
    method, url, body = _endpoints(world)[name]
    _as(client, who)
    before = snapshot()
    response = _call(client, method, url, body)
    assert response.status_code == status, response.content
    if status >= 400:
        assert set(response.json()) == {"detail", "code"}
        assert snapshot() == before


def test_progress_shows_each_point(client, world):
    print_one(world.dinas)
    body = _as(client, "print operator, Kupang").get(f"{URL}/{world.drive.pk}").json()
    assert (body["phase"], body["target"], body["printed"], body["shortfall"]) == (
        "running", 13, 1, 5)
    dinas, namosain = body["points"]
    assert (dinas["office_code"], dinas["printed"], dinas["blanks_in_stock"]) == (
        "DINAS-5371", 1, 9)
    assert (namosain["shortfall"], namosain["requested"], namosain["sent"]) == (5, None, 0)


def test_a_kelurahan_operator_sees_only_their_point(client, world):
    client.force_login(user(roles.PRINT_OPERATOR, "53.71.01.1001"))
    points = client.get(f"{URL}/{world.drive.pk}").json()["points"]
    assert [p["office_code"] for p in points] == ["KEL-NAMOSAIN"]


def test_a_retried_delivery_is_booked_once(client, world):
    api = _as(client, "stock keeper, Kupang")
    _method, url, body = _endpoints(world)["supply"]
    first = _call(api, "post", url, body)
    before = snapshot()
    again = _call(api, "post", url, body)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and snapshot() == before
    assert DriveSupply.objects.count() == 1
    progress = api.get(f"{URL}/{world.drive.pk}").json()["points"][1]
    assert (progress["sent"], progress["blanks_in_stock"], progress["shortfall"]) == (2, 2, 3)


@pytest.mark.parametrize("body, status, code", [
    ({"office_id": 1, "target": 0}, 422, "validation_error"),
    ({"office_id": 1, "target": 5, "extra": 1}, 422, "validation_error"),
])
def test_bad_points_get_a_stable_code(client, world, body, status, code):
    api = _as(client, "head of office, Kupang")
    before = snapshot()
    response = _call(api, "put", f"{URL}/{world.drive.pk}/points", body)
    assert response.status_code == status and response.json()["code"] == code
    assert snapshot() == before


def test_a_drive_ending_before_it_starts_is_refused(client):
    api = _as(client, "head of office, Kupang")
    now = timezone.now()
    response = _call(api, "post", URL, {"name": "x", "region_code": KOTA_KUPANG,
                                        "starts_at": now.isoformat(),
                                        "ends_at": (now - timedelta(hours=1)).isoformat()})
    assert response.status_code == 400 and response.json()["code"] == "drive_window_invalid"
