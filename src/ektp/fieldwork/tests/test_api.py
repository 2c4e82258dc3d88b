"""The fieldwork API: the permission matrix of every endpoint (denials change nothing),
campaigns drawn and followed, visits idempotent on their client id, masked NIKs, the PDF."""

from datetime import timedelta

import pypdfium2
import pytest
from django.utils import timezone

from ektp.accounts import rules as roles
from ektp.fieldwork import rules
from ektp.fieldwork.models import Visit
from ektp.fieldwork.tests.factories import (
    ALAK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    NAMOSAIN,
    OEPURA,
    client_id,
    entry_of,
    kupang_campaign,
    kupang_register,
    snapshot,
    user,
)
from ektp.residents.models import ResidentEvent
from ektp.residents.rules import mask_nik

pytestmark = pytest.mark.django_db
URL = "/api/fieldwork"

WHO = {
    "no role": ("", KOTA_KUPANG),
    "stock keeper": (roles.STOCK_KEEPER, KOTA_KUPANG),
    "field officer, Depok": (roles.FIELD_OFFICER, KOTA_DEPOK),
    "field officer, Alak": (roles.FIELD_OFFICER, ALAK),
    "supervisor, Depok": (roles.SUPERVISOR, KOTA_DEPOK),
    "supervisor, Kupang": (roles.SUPERVISOR, KOTA_KUPANG),
}


@pytest.fixture
def people():
    return kupang_register()


@pytest.fixture
def campaign(people):
    return kupang_campaign()


def _as(client, who):
    if who != "anonymous":
        client.force_login(user(*WHO[who]))
    return client


def _call(client, method, url, body=None):
    if method == "get":
        return client.get(url)
    return client.post(url, body or {}, content_type="application/json")


def _visit_body(entry, **overrides) -> dict:
    today = timezone.localdate()
    return {"entry_id": entry.pk, "client_id": client_id(), "outcome": rules.PRESENT,
            "visited_on": today.isoformat(),
            "invited_for": (today + timedelta(days=2)).isoformat(), **overrides}


def _endpoints(campaign, people):
    entry = entry_of(campaign, people["namosain"][0])
    return {
        "list": ("get", f"{URL}/campaigns", None),
        "create": ("post", f"{URL}/campaigns",
                   {"name": "Alak", "region_code": ALAK, "source": rules.NOT_RECORDED}),
        "progress": ("get", f"{URL}/campaigns/{campaign.pk}", None),
        "close": ("post", f"{URL}/campaigns/{campaign.pk}/close", None),
        "entries": ("get", f"{URL}/campaigns/{campaign.pk}/entries", None),
        "pdf": ("get", f"{URL}/campaigns/{campaign.pk}/villages/{NAMOSAIN}/list.pdf", None),
        "visit": ("post", f"{URL}/visits", _visit_body(entry)),
    }


EXPECTED = {
    "list": {"anonymous": 401, "no role": 403, "stock keeper": 403,
             "field officer, Depok": 200, "field officer, Alak": 200},
    "create": {"anonymous": 401, "no role": 403, "field officer, Alak": 403,
               "supervisor, Depok": 404, "supervisor, Kupang": 201},
    "progress": {"anonymous": 401, "no role": 403, "stock keeper": 403,
                 "field officer, Depok": 404, "field officer, Alak": 200},
    "close": {"anonymous": 401, "no role": 403, "field officer, Alak": 403,
              "supervisor, Depok": 404, "supervisor, Kupang": 200},
    "entries": {"anonymous": 401, "no role": 403, "field officer, Depok": 404,
                "field officer, Alak": 200},
    "pdf": {"anonymous": 401, "no role": 403, "field officer, Depok": 404,
            "field officer, Alak": 200},
    "visit": {"anonymous": 401, "no role": 403, "stock keeper": 403,
              "field officer, Depok": 404, "supervisor, Depok": 404,
              "field officer, Alak": 201},
}
CASES = [(name, who, status) for name, by_who in EXPECTED.items()
         for who, status in by_who.items()]


@pytest.mark.parametrize("name, who, status", CASES)
def test_permission_matrix(client, campaign, people, name, who, status):
    method, url, body = _endpoints(campaign, people)[name]
    _as(client, who)
    before = snapshot()
    response = _call(client, method, url, body)
    assert response.status_code == status, response.content
    if status >= 400:
        assert set(response.json()) == {"detail", "code"}
        assert snapshot() == before


def test_progress_by_village_counts_outcomes(client, campaign, people):
    api = _as(client, "supervisor, Kupang")
    for resident, outcome in ((people["namosain"][0], rules.PRESENT),
                              (people["namosain"][1], rules.UNKNOWN)):
        body = _visit_body(entry_of(campaign, resident), outcome=outcome)
        assert _call(api, "post", f"{URL}/visits", body).status_code == 201
    body = api.get(f"{URL}/campaigns/{campaign.pk}").json()
    assert (body["total"], body["visited"], body["visited_share"]) == (5, 2, 40.0)
    by_code = {row["village_code"]: row for row in body["villages"]}
    assert set(by_code) == {NAMOSAIN, "53.71.01.1002", OEPURA}
    namosain = by_code[NAMOSAIN]
    assert (namosain["total"], namosain["visited"], namosain["present"], namosain["unknown"],
            namosain["visited_share"]) == (3, 2, 1, 1, 66.7)


def test_a_retried_visit_answers_200_with_the_first_and_stores_nothing(client, campaign,
                                                                       people):
    api = _as(client, "field officer, Alak")
    body = _visit_body(entry_of(campaign, people["namosain"][0]), outcome=rules.DIED,
                       died_on=timezone.localdate().isoformat(), document_ref="AKTA/77")
    body.pop("invited_for")
    first = _call(api, "post", f"{URL}/visits", body)
    assert first.status_code == 201 and first.json()["created"] is True
    assert first.json()["resident_event_id"]
    before = snapshot()
    again = _call(api, "post", f"{URL}/visits", body)
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["id"] == first.json()["id"]
    assert snapshot() == before
    assert Visit.objects.count() == 1 and ResidentEvent.objects.filter(kind="died").count() == 1


@pytest.mark.parametrize("overrides, status, code", [
    ({"outcome": "gone"}, 422, "validation_error"),
    ({"client_id": "short"}, 422, "validation_error"),
    ({"invited_for": None}, 400, "invite_date_required"),
    ({"outcome": rules.MOVED, "to_village_code": OEPURA}, 400, "document_required"),
    ({"surplus": 1}, 422, "validation_error"),
])
def test_bad_visits_get_a_stable_code_and_write_nothing(client, campaign, people, overrides,
                                                        status, code):
    api = _as(client, "field officer, Alak")
    before = snapshot()
    response = _call(api, "post", f"{URL}/visits",
                     _visit_body(entry_of(campaign, people["namosain"][0]), **overrides))
    assert response.status_code == status and response.json()["code"] == code
    assert snapshot() == before


def test_entries_carry_masked_niks_only(client, campaign, people):
    api = _as(client, "field officer, Alak")
    response = api.get(f"{URL}/campaigns/{campaign.pk}/entries", {"village": NAMOSAIN})
    entries = response.json()
    assert len(entries) == 3
    nik = people["namosain"][0].nik
    assert mask_nik(nik) in {e["nik"] for e in entries} and nik.encode() not in response.content


def test_the_pdf_list_parses(client, campaign):
    api = _as(client, "field officer, Alak")
    response = api.get(f"{URL}/campaigns/{campaign.pk}/villages/{NAMOSAIN}/list.pdf")
    assert response.content.startswith(b"%PDF")
    assert len(pypdfium2.PdfDocument(response.content)) == 1


def test_a_first_time_campaign_from_the_api(client, people):
    from ektp.fieldwork.tests.factories import pemula

    soon = pemula(30)
    api = _as(client, "supervisor, Kupang")
    response = _call(api, "post", f"{URL}/campaigns", {
        "name": "Pemula Kupang", "region_code": KOTA_KUPANG, "source": rules.FIRST_TIME,
        "months_ahead": 2})
    assert response.status_code == 201, response.content
    entries = api.get(f"{URL}/campaigns/{response.json()['id']}/entries").json()
    assert [e["nik"] for e in entries] == [mask_nik(soon.nik)]
