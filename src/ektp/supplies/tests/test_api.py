"""The supplies API through a Ninja test client on its router: happy paths, refusals with their
codes and nothing written, and a permission matrix (anonymous / no permission / other region /
right region) for every endpoint."""

import pytest
from django.contrib.auth.models import AnonymousUser
from ninja import NinjaAPI
from ninja.testing import TestClient

from ektp.accounts import rules as roles
from ektp.errors import DomainError
from ektp.supplies import selectors, services
from ektp.supplies.api import router
from ektp.supplies.models import Destruction, InvalidCard, StockMovement, StockRequest
from ektp.supplies.tests.factories import KOTA_DEPOK, make_user, receive_blanks, snapshot

pytestmark = pytest.mark.django_db


def _api() -> NinjaAPI:
    """The router on an API with the house error shape, as ``ektp.api`` mounts it."""
    api = NinjaAPI(urls_namespace="supplies-tests")
    api.add_router("", router)

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return api.create_response(request, {"detail": exc.message, "code": exc.code},
                                   status=exc.status)

    return api


client = TestClient(_api())


@pytest.fixture
def keeper(db):
    return make_user(roles.STOCK_KEEPER)


@pytest.fixture
def depok_keeper(db):
    return make_user(roles.STOCK_KEEPER, KOTA_DEPOK)


def post(path: str, body: dict, user):
    return client.post(path, json=body, user=user)


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


# --- reads ------------------------------------------------------------------------------------


def test_office_stock_is_summarised(dinas, keeper):
    receive_blanks(dinas, 12, earmark="first")
    response = client.get(f"/offices/{dinas.pk}/stock", user=keeper)
    assert response.status_code == 200, response.content
    blank = response.json()[0]
    assert (blank["item"], blank["quantity"], blank["by_earmark"]) == ("blank", 12, {"first": 12})
    assert blank["low"] is False


@pytest.mark.parametrize("role", [roles.HEAD_OF_OFFICE, roles.PRINT_OPERATOR, roles.SUPERVISOR])
def test_viewers_see_the_stock(dinas, role):
    response = client.get(f"/offices/{dinas.pk}/stock", user=make_user(role))
    assert response.status_code == 200


def test_stock_outside_the_region_or_without_permission_is_not_found(dinas, depok_keeper):
    for user in (AnonymousUser(), make_user(roles.RECORDING_OPERATOR), depok_keeper):
        assert_refused(client.get(f"/offices/{dinas.pk}/stock", user=user), 404,
                       "office_unknown")
    assert_refused(client.get("/offices/999999/stock", user=make_user(roles.STOCK_KEEPER,
                                                                      username="k2")),
                   404, "office_unknown")


def test_the_ledger_is_paginated_newest_first_and_scoped(dinas, depok, keeper, depok_keeper):
    for n in range(5):
        receive_blanks(dinas, 2, first=1 + 2 * n)
    receive_blanks(depok, 3, first=900)
    response = client.get("/ledger?limit=2&offset=0", user=keeper)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert [row["note"] for row in body["items"]] == ["KTP25-0000009..KTP25-0000010",
                                                      "KTP25-0000007..KTP25-0000008"]
    assert client.get(f"/ledger?office_id={dinas.pk}", user=depok_keeper).json()["count"] == 0
    assert client.get("/ledger?item=ribbon", user=keeper).json()["count"] == 0
    assert client.get("/ledger", user=AnonymousUser()).json()["count"] == 0


# --- writes -----------------------------------------------------------------------------------


def allocation_body(office, **overrides) -> dict:
    return {"office_id": office.pk, "item": "blank", "quantity": 5, "handover_ref": "BA-1",
            "serial_prefix": "KTP25-", "first_serial": 1, **overrides}


def test_a_stock_keeper_receives_an_allocation(dinas, keeper):
    response = post("/allocations", allocation_body(dinas, earmark="replacement",
                                                    idempotency_key="a-1"), keeper)
    assert response.status_code == 201, response.content
    assert response.json()["quantity"] == 5
    assert post("/allocations", allocation_body(dinas, idempotency_key="a-1", earmark=
                                                "replacement"), keeper).status_code == 201
    assert StockMovement.objects.get().actor == keeper
    assert selectors.balance(dinas, "blank", "replacement") == 5


def test_an_overlapping_allocation_is_a_conflict(dinas, keeper):
    receive_blanks(dinas, 5)
    before = snapshot()
    assert_refused(post("/allocations", allocation_body(dinas), keeper), 409,
                   "blank_serial_exists")
    assert snapshot() == before


def test_an_allocation_of_an_unknown_item_is_a_validation_error(dinas, keeper):
    response = post("/allocations", allocation_body(dinas, item="toner"), keeper)
    assert response.status_code == 422
    assert not StockMovement.objects.exists()


def test_a_request_is_sent(dinas, keeper):
    response = post("/requests", {"office_id": dinas.pk, "item": "ribbon", "quantity": 4,
                                  "justification": "ribbon tinggal 2 hari",
                                  "letter_number": "470/88"}, keeper)
    assert response.status_code == 201, response.content
    assert (response.json()["quantity"], response.json()["received_quantity"]) == (4, 0)


def test_a_transfer_to_another_city_is_allowed_from_ones_own_office(dinas, depok, keeper):
    receive_blanks(dinas, 5)
    response = post("/transfers", {"from_office_id": dinas.pk, "to_office_id": depok.pk,
                                   "item": "blank", "quantity": 2, "reference": "BA-PINJAM"},
                    keeper)
    assert response.status_code == 201, response.content
    assert selectors.balance(depok, "blank") == 2
    before = snapshot()
    assert_refused(post("/transfers", {"from_office_id": dinas.pk, "to_office_id": depok.pk,
                                       "item": "blank", "quantity": 4, "reference": "BA-2"},
                        keeper), 409, "stock_insufficient")
    assert snapshot() == before


def test_an_old_card_is_returned(kelurahan, keeper):
    response = post("/old-cards", {"office_id": kelurahan.pk, "card_serial": "OLD-7",
                                   "reason": "returned_found", "nik": "5371014708950001"},
                    keeper)
    assert response.status_code == 201, response.content
    assert InvalidCard.objects.get().reason == "returned_found"
    assert_refused(post("/old-cards", {"office_id": kelurahan.pk, "card_serial": "OLD-8",
                                       "reason": "returned_found", "nik": "123"}, keeper),
                   400, "nik_invalid")


def test_a_destruction_is_recorded_and_needs_a_witness(kelurahan, keeper):
    services.old_card_return(actor=None, office_id=kelurahan.pk, card_serial="OLD-1",
                             reason="returned_move", nik="5371014708950001")
    body = {"office_id": kelurahan.pk, "ba_number": "BA-BAKAR-1", "serials": ["OLD-1"],
            "witnesses": []}
    assert_refused(post("/destructions", body, keeper), 400, "witnesses_required")
    body["witnesses"] = [{"name": "Bripka Lado", "institution": "Polres Kupang Kota"}]
    response = post("/destructions", body, keeper)
    assert response.status_code == 201, response.content
    assert response.json()["cards"] == 1
    assert InvalidCard.objects.get().destruction == Destruction.objects.get()


# --- permission matrix for writes -------------------------------------------------------------

WRITES = {
    "/allocations": lambda o: allocation_body(o),
    "/requests": lambda o: {"office_id": o.pk, "item": "blank", "quantity": 1,
                            "justification": "x"},
    "/transfers": lambda o: {"from_office_id": o.pk, "to_office_id": o.pk + 1000,
                             "item": "blank", "quantity": 1, "reference": "BA"},
    "/old-cards": lambda o: {"office_id": o.pk, "card_serial": "OLD-1",
                             "reason": "returned_move", "nik": "5371014708950001"},
    "/destructions": lambda o: {"office_id": o.pk, "ba_number": "BA-1", "serials": ["OLD-1"],
                                "witnesses": [{"name": "A"}]},
}


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize(("who", "status", "code"), [
    ("anonymous", 403, "forbidden"),
    (roles.RECORDING_OPERATOR, 403, "forbidden"),
    (roles.HEAD_OF_OFFICE, 403, "forbidden"),  # may look, not change
    (roles.PRINT_OPERATOR, 403, "forbidden"),
    (roles.SUPERVISOR, 403, "forbidden"),
    ("other_region", 404, "office_unknown"),
])
def test_writes_are_refused_without_manage_in_the_region(dinas, path, who, status, code):
    users = {"anonymous": AnonymousUser(),
             "other_region": make_user(roles.STOCK_KEEPER, KOTA_DEPOK)}
    user = users[who] if who in users else make_user(who)
    receive_blanks(dinas, 1, first=9000)
    before = {"stock": snapshot(), "requests": StockRequest.objects.count()}
    assert_refused(post(path, WRITES[path](dinas), user), status, code)
    assert {"stock": snapshot(), "requests": StockRequest.objects.count()} == before


def test_a_central_administrator_without_region_manages_everywhere(dinas, depok):
    admin = make_user(roles.CENTRAL_ADMIN, None)
    for office in (dinas, depok):
        assert post("/requests", WRITES["/requests"](office), admin).status_code == 201


@pytest.mark.django_db
def test_the_daily_blank_figure_is_public_and_has_no_personal_data(client):
    from ektp.devices.services import office_create
    from ektp.supplies.services import allocation_receive

    office = office_create(actor=None, code="DINAS-PUB", name="Dinas", kind="dinas",
                           region_code="53.71", prints_cards=True)
    allocation_receive(actor=None, office_id=office.pk, item="blank", quantity=5,
                       handover_ref="BA-1", serial_prefix="PUB-", first_serial=1)
    response = client.get("/api/supplies/published", {"region": "5371"})
    assert response.status_code == 200
    figure = response.json()
    assert (figure["region_code"], figure["in_stock"]) == ("53.71", 5)
    assert [o["office_code"] for o in figure["offices"]] == ["DINAS-PUB"]
    assert client.get("/api/supplies/published", {"region": "99.99"}).json()["code"] == (
        "region_unknown")
