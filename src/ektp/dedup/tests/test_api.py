"""The adjudication API: the queue with candidates and scores, the decision, and a permission
matrix for both endpoints (denials change nothing)."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ektp.accounts import rules as roles
from ektp.dedup.services import dedup_application
from ektp.enrollment.tests import biometrics
from ektp.enrollment.tests.factories import (
    ALAK,
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
from ektp.residents.rules import mask_nik

pytestmark = pytest.mark.django_db

URL = "/api/adjudication"

WHO = {
    "no role": ("", KOTA_KUPANG),
    "recording operator, Alak": (roles.RECORDING_OPERATOR, ALAK),
    "print operator, Kota Kupang": (roles.PRINT_OPERATOR, KOTA_KUPANG),
    "supervisor, Kota Depok": (roles.SUPERVISOR, KOTA_DEPOK),
    "supervisor, Kota Kupang": (roles.SUPERVISOR, KOTA_KUPANG),
    "central administrator": (roles.CENTRAL_ADMIN, None),
}


@pytest.fixture
def rng():
    return np.random.default_rng(3276)


@pytest.fixture
def doubtful(rng):
    """An application at ADJUDICATE_RECORD: its face matches a recording on file."""
    person = biometrics.new_identity(rng)
    original = application_of(record(PersonFactory(), biometrics.capture(person, rng)))
    assert dedup_application(application_id=original.pk) == rules.S_PRR
    twin = biometrics.capture(biometrics.lookalike(person, rng), rng)
    application = application_of(record(PersonFactory(), twin))
    assert dedup_application(application_id=application.pk) == rules.S_ADJ
    application.refresh_from_db()
    return application


@pytest.fixture
def api(client):
    client.force_login(user(*WHO["supervisor, Kota Kupang"]))
    return client


def login(client, who: str):
    if who != "anonymous":
        client.force_login(user(*WHO[who]))
    return client


def post(client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_shows_each_doubtful_recording_with_its_candidates(api, doubtful):
    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["application_id"], item["status"]) == (doubtful.pk, rules.S_ADJ)
    assert item["person"]["nik"] == mask_nik(doubtful.resident.nik)
    [candidate] = item["candidates"]
    stored = doubtful.candidates.get()
    assert candidate["enrollment_id"] == stored.matched_enrollment.enrollment_id
    assert candidate["face_distance"] == pytest.approx(stored.face_distance)
    assert (candidate["finger_score"], candidate["outcome"]) == (None, rules.S_ADJ)
    matched = stored.matched_enrollment.resident
    assert candidate["person"]["nik"] == mask_nik(matched.nik)
    assert matched.nik.encode() not in response.content


def test_the_queue_costs_the_same_few_queries_whatever_its_length(api, doubtful, rng):
    with CaptureQueriesContext(connection) as one:
        assert api.get(URL).json()["count"] == 1
    another = application_of(record(PersonFactory()))
    move(another, rules.S_ADJ)  # a second doubtful recording
    with CaptureQueriesContext(connection) as two:
        assert api.get(URL).json()["count"] == 2
    assert len(two) == len(one)


def test_decided_applications_leave_the_queue(api, doubtful, rng):
    application_of(record(PersonFactory()))  # waiting at RECEIVED_AT_CENTRAL: not in the queue
    post(api, f"{URL}/{doubtful.pk}", {"decision": "single", "reason": "kembar"})
    assert api.get(URL).json()["count"] == 0


# --- decisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("decision", "status", "kind"), [
    ("duplicate", rules.S_DUP, "one_to_many"),
    ("single", rules.S_PRR, ""),
])
def test_a_decision(api, doubtful, decision, status, kind):
    response = post(api, f"{URL}/{doubtful.pk}", {"decision": decision, "reason": "diperiksa"})
    assert response.status_code == 200, response.content
    assert response.json() == {"application_id": doubtful.pk, "status": status,
                               "duplicate_kind": kind}
    assert doubtful.history.last().reason == "adjudikasi: diperiksa"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"decision": "duplicate", "reason": ""}, 400, "reason_required"),
    ({"decision": "maybe", "reason": "ragu"}, 422, "validation_error"),
    ({"decision": "single"}, 422, "validation_error"),
])
def test_a_bad_decision_is_refused_and_nothing_written(api, doubtful, body, status, code):
    before = snapshot()
    assert_refused(post(api, f"{URL}/{doubtful.pk}", body), status, code)
    assert snapshot() == before


def test_a_recording_not_waiting_for_adjudication_is_a_409(api):
    application = application_of(record(PersonFactory()))
    before = snapshot()
    assert_refused(post(api, f"{URL}/{application.pk}", {"decision": "single", "reason": "x"}),
                   409, "not_awaiting_adjudication")
    assert snapshot() == before


def test_an_unknown_application_is_a_404(api):
    assert_refused(post(api, f"{URL}/987654321", {"decision": "single", "reason": "x"}), 404,
                   "application_unknown")


# --- permission matrix ------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status", "visible"), [
    ("anonymous", 401, None),
    ("no role", 200, False),
    ("recording operator, Alak", 200, False),
    ("print operator, Kota Kupang", 200, False),
    ("supervisor, Kota Depok", 200, False),
    ("supervisor, Kota Kupang", 200, True),
    ("central administrator", 200, True),
])
def test_who_sees_the_queue(client, doubtful, who, status, visible):
    response = login(client, who).get(URL)
    assert response.status_code == status
    if visible is not None:
        ids = [item["application_id"] for item in response.json()["items"]]
        assert (doubtful.pk in ids) is visible


@pytest.mark.parametrize(("who", "status", "code"), [
    ("anonymous", 401, "unauthenticated"),
    ("no role", 403, "forbidden"),
    ("recording operator, Alak", 403, "forbidden"),
    ("print operator, Kota Kupang", 403, "forbidden"),
    ("supervisor, Kota Depok", 404, "application_unknown"),
    ("supervisor, Kota Kupang", 200, None),
    ("central administrator", 200, None),
])
def test_who_may_decide(client, doubtful, who, status, code):
    before = snapshot()
    response = post(login(client, who), f"{URL}/{doubtful.pk}",
                    {"decision": "duplicate", "reason": "sidik jari dicek ulang"})
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code
        assert snapshot() == before
