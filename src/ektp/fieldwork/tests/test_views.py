"""Field verification pages: the permission matrix of every page (anonymous, no permission,
the right role in another region, the right role in the right region; denials change
nothing), the visit form (idempotent on a resend), the printed list, no NIK in URLs or pages,
and pinned query counts."""

import re
from datetime import timedelta

import pypdfium2
import pytest
from django.urls import reverse
from django.utils import timezone

from ektp.accounts import rules as roles
from ektp.fieldwork import rules
from ektp.fieldwork.models import Campaign, Entry, Visit
from ektp.fieldwork.tests.factories import (
    ALAK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    NAMOSAIN,
    OEPURA,
    entry_of,
    kupang_campaign,
    kupang_register,
    person,
    snapshot,
    user,
)
from ektp.residents.models import ResidentEvent

pytestmark = pytest.mark.django_db

WHO = {
    "no role": ("", KOTA_KUPANG),
    "stock keeper": (roles.STOCK_KEEPER, KOTA_KUPANG),
    "field officer, Depok": (roles.FIELD_OFFICER, KOTA_DEPOK),
    "field officer, Alak": (roles.FIELD_OFFICER, ALAK),
    "supervisor, Depok": (roles.SUPERVISOR, KOTA_DEPOK),
    "supervisor, Kupang": (roles.SUPERVISOR, KOTA_KUPANG),
    "head of office, Kupang": (roles.HEAD_OF_OFFICE, KOTA_KUPANG),
}


@pytest.fixture
def people():
    return kupang_register()


@pytest.fixture
def campaign(people):
    return kupang_campaign()


def _login(client, who):
    if who != "anonymous":
        client.force_login(user(*WHO[who]))


def _visit_data(**overrides) -> dict:
    today = timezone.localdate()
    return {"client_id": "0b5c1f7e3c1a4f7d9d2b6a1e2f3c4d5e", "outcome": rules.PRESENT,
            "visited_on": today.isoformat(),
            "invited_for": (today + timedelta(days=3)).isoformat(), **overrides}


def _pages(campaign, people):
    entry = entry_of(campaign, people["namosain"][0])
    return {
        "list": ("get", reverse("fieldwork_campaigns"), {}),
        "new": ("get", reverse("fieldwork_campaign_create"), {}),
        "create": ("post", reverse("fieldwork_campaign_create"),
                   {"name": "Kampanye baru", "region_code": ALAK, "source": rules.NOT_RECORDED}),
        "detail": ("get", reverse("fieldwork_campaign", args=[campaign.pk]), {}),
        "close": ("post", reverse("fieldwork_campaign_close", args=[campaign.pk]), {}),
        "village": ("get", reverse("fieldwork_village", args=[campaign.pk, NAMOSAIN]), {}),
        "pdf": ("get", reverse("fieldwork_village_pdf", args=[campaign.pk, NAMOSAIN]), {}),
        "entry": ("get", reverse("fieldwork_entry", args=[entry.pk]), {}),
        "visit": ("post", reverse("fieldwork_entry", args=[entry.pk]), _visit_data()),
    }


# page -> who -> expected status; a redirect (302) after a successful POST.
EXPECTED = {
    "list": {"no role": 403, "stock keeper": 403, "field officer, Depok": 200,
             "field officer, Alak": 200, "head of office, Kupang": 200},
    "new": {"no role": 403, "field officer, Alak": 403, "head of office, Kupang": 403,
            "supervisor, Kupang": 200},
    "create": {"no role": 403, "field officer, Alak": 403, "supervisor, Depok": 200,
               "supervisor, Kupang": 302},
    "detail": {"no role": 403, "stock keeper": 403, "field officer, Depok": 404,
               "field officer, Alak": 200, "head of office, Kupang": 200},
    "close": {"no role": 403, "field officer, Alak": 403, "head of office, Kupang": 403,
              "supervisor, Depok": 404, "supervisor, Kupang": 302},
    "village": {"no role": 403, "stock keeper": 403, "field officer, Depok": 404,
                "field officer, Alak": 200, "head of office, Kupang": 200},
    "pdf": {"no role": 403, "stock keeper": 403, "field officer, Depok": 404,
            "field officer, Alak": 200},
    "entry": {"no role": 403, "stock keeper": 403, "head of office, Kupang": 403,
              "field officer, Depok": 404, "field officer, Alak": 200},
    "visit": {"no role": 403, "stock keeper": 403, "head of office, Kupang": 403,
              "field officer, Depok": 404, "field officer, Alak": 302},
}
CASES = [(page, who, status) for page, by_who in EXPECTED.items()
         for who, status in by_who.items()]
DENIED = [(page, who, status) for page, who, status in CASES if status in (403, 404)]


@pytest.mark.parametrize("page", list(EXPECTED))
def test_anonymous_is_sent_to_login_and_nothing_is_written(client, campaign, people, page):
    method, url, data = _pages(campaign, people)[page]
    before = snapshot()
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert snapshot() == before


@pytest.mark.parametrize("page, who, status", DENIED)
def test_denials_answer_403_or_404_and_write_nothing(client, campaign, people, page, who,
                                                     status):
    method, url, data = _pages(campaign, people)[page]
    _login(client, who)
    before = snapshot()
    assert getattr(client, method)(url, data).status_code == status
    assert snapshot() == before


@pytest.mark.parametrize("page, who, status",
                         [case for case in CASES if case[2] not in (403, 404)])
def test_the_right_role_in_the_right_region_gets_the_page(client, campaign, people, page, who,
                                                          status):
    method, url, data = _pages(campaign, people)[page]
    _login(client, who)
    assert getattr(client, method)(url, data).status_code == status


def test_an_officer_of_another_region_sees_no_campaign_of_ours(client, campaign):
    _login(client, "field officer, Depok")
    page = client.get(reverse("fieldwork_campaigns")).content.decode()
    assert campaign.name not in page


def test_a_kecamatan_officer_sees_the_citys_campaign_with_only_their_villages(client,
                                                                              campaign):
    _login(client, "field officer, Alak")
    assert campaign.name in client.get(reverse("fieldwork_campaigns")).content.decode()
    page = client.get(reverse("fieldwork_campaign", args=[campaign.pk])).content.decode()
    assert "Namosain" in page.title() and "Oepura" not in page.title()
    out_of_area = reverse("fieldwork_village", args=[campaign.pk, OEPURA])
    assert client.get(out_of_area).status_code == 404


def test_the_head_of_office_sees_every_village(client, campaign):
    _login(client, "head of office, Kupang")
    page = client.get(reverse("fieldwork_campaign", args=[campaign.pk])).content.decode()
    assert "Oepura" in page.title() and "Namosain" in page.title()


def test_a_supervisor_draws_a_campaign_from_the_form(client, people):
    _login(client, "supervisor, Kupang")
    response = client.post(reverse("fieldwork_campaign_create"), {
        "name": "Pemula Alak", "region_code": ALAK, "source": rules.NOT_RECORDED})
    campaign = Campaign.objects.get(name="Pemula Alak")
    assert response["Location"] == reverse("fieldwork_campaign", args=[campaign.pk])
    assert campaign.entries.count() == 4


def test_an_empty_list_is_refused_on_the_form_and_nothing_is_written(client, people):
    _login(client, "supervisor, Kupang")
    before = snapshot()
    response = client.post(reverse("fieldwork_campaign_create"), {
        "name": "Pemula Alak", "region_code": ALAK, "source": rules.FIRST_TIME,
        "months_ahead": 2})
    assert response.status_code == 200
    assert "Nobody in this region" in response.content.decode()
    assert snapshot() == before


def test_a_region_outside_the_users_is_not_offered(client, people):
    _login(client, "supervisor, Depok")
    before = snapshot()
    response = client.post(reverse("fieldwork_campaign_create"), {
        "name": "Kupang dari Depok", "region_code": KOTA_KUPANG,
        "source": rules.NOT_RECORDED})
    assert response.status_code == 200 and "region_code" in response.context["form"].errors
    assert snapshot() == before


def test_recording_a_visit_and_sending_the_form_again_stores_it_once(client, campaign, people):
    _login(client, "field officer, Alak")
    entry = entry_of(campaign, people["namosain"][0])
    url = reverse("fieldwork_entry", args=[entry.pk])
    form = client.get(url).content.decode()
    client_id = re.search(r'name="client_id" value="([0-9a-f]{32})"', form).group(1)
    data = _visit_data(client_id=client_id)
    first = client.post(url, data)
    assert first["Location"] == reverse("fieldwork_village", args=[campaign.pk, NAMOSAIN])
    again = client.post(url, data, follow=True)
    assert "sudah tercatat" in again.content.decode()
    assert Visit.objects.filter(entry=entry).count() == 1
    entry.refresh_from_db()
    assert (entry.outcome, entry.visits_count) == (rules.PRESENT, 1)


def test_a_death_without_its_akta_is_refused_on_the_form_and_nothing_is_written(client,
                                                                                campaign,
                                                                                people):
    _login(client, "field officer, Alak")
    entry = entry_of(campaign, people["namosain"][0])
    before = snapshot()
    response = client.post(reverse("fieldwork_entry", args=[entry.pk]), _visit_data(
        outcome=rules.DIED, died_on=timezone.localdate().isoformat()))
    assert response.status_code == 200
    assert "akta kematian" in response.content.decode()
    assert snapshot() == before


def test_a_move_from_the_form_is_a_life_event(client, campaign, people):
    _login(client, "field officer, Alak")
    resident = people["namosain"][1]
    entry = entry_of(campaign, resident)
    client.post(reverse("fieldwork_entry", args=[entry.pk]), _visit_data(
        outcome=rules.MOVED, document_ref="SKPWNI/5371/9", to_village_code=OEPURA))
    assert ResidentEvent.objects.filter(resident=resident, kind="moved").count() == 1


def test_pages_show_masked_niks_only(client, campaign, people):
    _login(client, "field officer, Alak")
    resident = people["namosain"][0]
    for url in (reverse("fieldwork_village", args=[campaign.pk, NAMOSAIN]),
                reverse("fieldwork_entry", args=[entry_of(campaign, resident).pk])):
        page = client.get(url).content.decode()
        assert resident.nik not in page and f"{resident.nik[:4]}********" in page


def test_the_village_pdf_parses_and_is_not_cached(client, campaign):
    _login(client, "field officer, Alak")
    response = client.get(reverse("fieldwork_village_pdf", args=[campaign.pk, NAMOSAIN]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF")
    assert len(pypdfium2.PdfDocument(response.content)) == 1


# --- pinned query counts: the same whatever the number of rows -----------------------------


def _more(count: int) -> None:
    for n in range(count):
        person(NAMOSAIN if n % 2 else "53.71.01.1002")


@pytest.mark.parametrize("extra", [0, 30])
def test_query_counts_are_pinned(client, django_assert_num_queries, extra):
    _more(extra + 2)
    campaign = kupang_campaign()
    _login(client, "field officer, Alak")
    for url, queries in (
        (reverse("fieldwork_campaigns"), 4),
        (reverse("fieldwork_campaign", args=[campaign.pk]), 6),
        (reverse("fieldwork_village", args=[campaign.pk, NAMOSAIN]), 6),
    ):
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
    assert Entry.objects.count() == extra + 2


def test_pages_keep_to_the_csp_no_inline_script_or_style(client, campaign, people):
    _login(client, "supervisor, Kupang")
    entry = entry_of(campaign, people["namosain"][0])
    for url in (reverse("fieldwork_campaigns"), reverse("fieldwork_campaign_create"),
                reverse("fieldwork_campaign", args=[campaign.pk]),
                reverse("fieldwork_village", args=[campaign.pk, NAMOSAIN]),
                reverse("fieldwork_entry", args=[entry.pk])):
        page = client.get(url).content.decode()
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert all('src="/static/' in tag for tag in scripts)
        assert "<style" not in page and " style=" not in page
        forms = re.findall(r"<form\b.*?</form>", page, re.S)
        assert all("csrfmiddlewaretoken" in form for form in forms if 'method="post"' in form)
