"""The applications API: replacements, the scoped list and detail with its history, status
changes by supervisors, and a permission matrix for every endpoint (denials change nothing)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ektp.accounts import rules as roles
from ektp.dedup.services import dedup_application
from ektp.enrollment.tests.factories import (
    ALAK,
    CARD_ISSUED_PATH,
    KOTA_DEPOK,
    KOTA_KUPANG,
    PersonFactory,
    application_of,
    move,
    record,
    snapshot,
    user,
)
from ektp.issuance import rules
from ektp.issuance.models import Application
from ektp.residents.rules import mask_nik

pytestmark = pytest.mark.django_db

URL = "/api/applications"

WHO = {
    "no role": ("", KOTA_KUPANG),
    "print operator, Kota Kupang": (roles.PRINT_OPERATOR, KOTA_KUPANG),
    "recording operator, Kota Depok": (roles.RECORDING_OPERATOR, KOTA_DEPOK),
    "recording operator, Alak": (roles.RECORDING_OPERATOR, ALAK),
    "supervisor, Kota Depok": (roles.SUPERVISOR, KOTA_DEPOK),
    "supervisor, Kota Kupang": (roles.SUPERVISOR, KOTA_KUPANG),
}


@pytest.fixture
def supervisor():
    return user(roles.SUPERVISOR, KOTA_KUPANG, username="sup-kupang")


@pytest.fixture
def api(client, supervisor):
    client.force_login(supervisor)
    return client


def print_ready() -> Application:
    application = application_of(record(PersonFactory()))
    assert dedup_application(application_id=application.pk) == rules.S_PRR
    application.refresh_from_db()
    return application


def card_issued() -> Application:
    return move(print_ready(), *CARD_ISSUED_PATH)


def post(client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def lost(resident_id: int) -> dict:
    return {"resident_id": resident_id, "kind": "lost", "police_letter_ref": "LP/12/2025"}


# --- replacements -------------------------------------------------------------------------------


def test_a_replacement_is_created(api):
    issued = card_issued()
    response = post(api, URL, lost(issued.resident_id))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["police_letter_ref"]) == (
        "lost", rules.S_RAC, "LP/12/2025")
    assert body["enrollment_id"] == issued.enrollment.enrollment_id
    assert body["nik"] == mask_nik(issued.resident.nik)
    assert [(h["from_status"], h["to_status"], h["actor"]) for h in body["history"]] == [
        ("", rules.S_RAC, "sup-kupang")]


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"police_letter_ref": ""}, 400, "police_letter_required"),
    ({"kind": "data_change", "police_letter_ref": ""}, 400, "document_required"),
    ({"kind": "new"}, 422, "validation_error"),
    ({"resident_id": "x"}, 422, "validation_error"),
    ({"resident_id": 987654321}, 404, "resident_unknown"),
])
def test_a_bad_replacement_is_refused_and_nothing_written(api, changes, status, code):
    issued = card_issued()
    before = snapshot()
    assert_refused(post(api, URL, {**lost(issued.resident_id), **changes}), status, code)
    assert snapshot() == before


def test_a_replacement_without_a_recording_is_a_409(api):
    resident = PersonFactory()
    before = snapshot()
    assert_refused(post(api, URL, lost(resident.pk)), 409, "enrollment_missing")
    assert snapshot() == before


# --- list and detail ----------------------------------------------------------------------------


def test_the_list_is_paginated_newest_first_with_masked_niks(api):
    applications = [print_ready() for _ in range(3)]
    response = api.get(URL, {"page_size": 2})
    body = response.json()
    assert body["count"] == 3
    assert [item["id"] for item in body["items"]] == [applications[2].pk, applications[1].pk]
    assert api.get(URL, {"page_size": 2, "page": 2}).json()["items"][0]["id"] == \
        applications[0].pk
    for application in applications:
        assert application.resident.nik.encode() not in response.content


def test_the_list_costs_the_same_few_queries_whatever_its_length(api):
    application_of(record(PersonFactory()))
    with CaptureQueriesContext(connection) as one:
        assert api.get(URL).json()["count"] == 1
    for _ in range(3):
        application_of(record(PersonFactory()))
    with CaptureQueriesContext(connection) as four:
        assert api.get(URL).json()["count"] == 4
    assert len(four) == len(one)


def test_the_list_filters_by_status(api):
    ready = print_ready()
    waiting = application_of(record(PersonFactory()))
    items = api.get(URL, {"status": rules.S_RAC}).json()["items"]
    assert [item["id"] for item in items] == [waiting.pk]
    assert ready.pk not in [item["id"] for item in items]


def test_an_unknown_status_filter_is_a_422(api):
    assert_refused(api.get(URL, {"status": "LOST_IN_THE_MAIL"}), 422, "validation_error")


def test_the_detail_has_the_history_timeline(api, supervisor):
    application = print_ready()
    post(api, f"{URL}/{application.pk}/transition",
         {"to_status": rules.S_SFP, "reason": "dicetak"})
    body = api.get(f"{URL}/{application.pk}").json()
    timeline = [(h["from_status"], h["to_status"], h["actor"], h["reason"])
                for h in body["history"]]
    assert timeline == [
        ("", rules.S_BIO, None, ""),
        (rules.S_BIO, rules.S_SFE, None, ""),
        (rules.S_SFE, rules.S_RAC, None, ""),
        (rules.S_RAC, rules.S_PRR, None, "tunggal"),
        (rules.S_PRR, rules.S_SFP, "sup-kupang", "dicetak"),
    ]
    assert all(h["site"] and h["at"] for h in body["history"])


# --- status changes by hand ---------------------------------------------------------------------


def test_a_supervisor_moves_an_application(api):
    application = print_ready()
    response = post(api, f"{URL}/{application.pk}/transition",
                    {"to_status": rules.S_SFP, "reason": "blangko ada"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == rules.S_SFP


@pytest.mark.parametrize(("start", "body", "status", "code"), [
    ("duplicate", {"to_status": rules.S_SFP, "reason": "cetak saja"}, 409,
     "illegal_transition"),
    ("received", {"to_status": rules.S_PRR, "reason": "lewati"}, 409, "transition_reserved"),
    ("print_ready", {"to_status": rules.S_SFP, "reason": "x", "from_status": rules.S_ADJ},
     409, "status_changed"),
    ("print_ready", {"to_status": rules.S_SFP, "reason": ""}, 400, "reason_required"),
    ("print_ready", {"to_status": "PRINTED_SOMEHOW", "reason": "x"}, 422, "validation_error"),
    ("print_ready", {"to_status": rules.S_SFP}, 422, "validation_error"),
])
def test_a_bad_status_change_is_refused_and_nothing_written(api, start, body, status, code):
    application = application_of(record(PersonFactory()))
    if start == "duplicate":
        move(application, rules.S_DUP)
    elif start == "print_ready":
        move(application, rules.S_PRR)
    before = snapshot()
    assert_refused(post(api, f"{URL}/{application.pk}/transition", body), status, code)
    assert snapshot() == before


# --- permission matrix ------------------------------------------------------------------------


def login(client, who: str):
    if who != "anonymous":
        client.force_login(user(*WHO[who]))
    return client


@pytest.mark.parametrize(("who", "status", "code"), [
    ("anonymous", 401, "unauthenticated"),
    ("no role", 403, "forbidden"),
    ("print operator, Kota Kupang", 403, "forbidden"),
    ("recording operator, Kota Depok", 404, "resident_unknown"),
    ("recording operator, Alak", 201, None),
    ("supervisor, Kota Kupang", 201, None),
])
def test_who_may_ask_for_a_replacement(client, who, status, code):
    issued = card_issued()
    before = snapshot()
    response = post(login(client, who), URL, lost(issued.resident_id))
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code
        assert snapshot() == before


@pytest.mark.parametrize(("who", "status", "visible"), [
    ("anonymous", 401, None),
    ("no role", 200, False),
    ("recording operator, Kota Depok", 200, False),
    ("print operator, Kota Kupang", 200, True),
    ("recording operator, Alak", 200, True),
])
def test_who_sees_the_list(client, who, status, visible):
    application = print_ready()
    response = login(client, who).get(URL)
    assert response.status_code == status
    if visible is not None:
        assert (application.pk in [i["id"] for i in response.json()["items"]]) is visible


@pytest.mark.parametrize(("who", "status"), [
    ("anonymous", 401),
    ("no role", 404),
    ("recording operator, Kota Depok", 404),
    ("supervisor, Kota Depok", 404),
    ("print operator, Kota Kupang", 200),
    ("supervisor, Kota Kupang", 200),
])
def test_who_sees_the_detail(client, who, status):
    application = print_ready()
    assert login(client, who).get(f"{URL}/{application.pk}").status_code == status


def test_a_missing_application_is_404_like_a_forbidden_one(api):
    assert_refused(api.get(f"{URL}/987654321"), 404, "application_unknown")


@pytest.mark.parametrize(("who", "status", "code"), [
    ("anonymous", 401, "unauthenticated"),
    ("no role", 403, "forbidden"),
    ("recording operator, Alak", 403, "forbidden"),
    ("print operator, Kota Kupang", 403, "forbidden"),
    ("supervisor, Kota Depok", 404, "application_unknown"),
    ("supervisor, Kota Kupang", 200, None),
])
def test_who_may_change_a_status(client, who, status, code):
    application = print_ready()
    before = snapshot()
    response = post(login(client, who), f"{URL}/{application.pk}/transition",
                    {"to_status": rules.S_SFP, "reason": "blangko ada"})
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code
        assert snapshot() == before
