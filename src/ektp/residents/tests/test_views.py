"""Resident search and detail pages: the permission matrix (anonymous, no permission, the right
role in another region, the right role in the right region), the audited opening of the NIK,
no personal data in URLs, and pinned query counts."""

import re
from types import SimpleNamespace

import pytest
from django.urls import reverse

from ektp.accounts import rules as roles
from ektp.audit.models import AuditEvent
from ektp.enrollment.tests.factories import (
    ALAK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    PersonFactory,
    application_of,
    move,
    record,
    user,
)
from ektp.issuance import rules as issuance_rules
from ektp.residents.models import ResidentEvent
from ektp.residents.rules import mask_nik
from ektp.residents.tests.factories import row_counts

pytestmark = pytest.mark.django_db
SEARCH = reverse("resident_search")
HTMX = {"HTTP_HX_REQUEST": "true"}

# who -> (role, region); "none" has no role at all, "stock" a role without resident.view.
WHO = {
    "none": ("", KOTA_KUPANG),
    "stock keeper": (roles.STOCK_KEEPER, KOTA_KUPANG),
    "recording operator, Depok": (roles.RECORDING_OPERATOR, KOTA_DEPOK),
    "recording operator, Alak": (roles.RECORDING_OPERATOR, ALAK),
    "head of office, Kupang": (roles.HEAD_OF_OFFICE, KOTA_KUPANG),
}


@pytest.fixture
def maria():
    return PersonFactory(name="MARIA GORETI LAKAPU")


def _login(client, who):
    if who != "anonymous":
        client.force_login(user(*WHO[who]))


def _detail(resident):
    return reverse("resident_detail", args=[resident.pk])


def _open_nik(resident):
    return reverse("resident_open_nik", args=[resident.pk])


def _search(client, text, **extra):
    return client.post(SEARCH, {"q": text, **extra}, **HTMX)


# --- permission matrix ------------------------------------------------------------------------

@pytest.mark.parametrize("method, url", [
    ("get", lambda r: SEARCH), ("post", lambda r: SEARCH), ("get", _detail), ("post", _open_nik),
])
def test_anonymous_is_sent_to_login_and_nothing_is_written(client, maria, method, url):
    before = row_counts()
    response = getattr(client, method)(url(maria), {"q": maria.name} if method == "post" else {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert row_counts() == before


def test_an_htmx_request_after_the_session_ended_sends_the_browser_to_login(client, maria):
    response = _search(client, "MARIA")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("login")
    assert "MARIA" not in response.content.decode()


@pytest.mark.parametrize("who", ["none", "stock keeper"])
@pytest.mark.parametrize("method, url", [
    ("get", lambda r: SEARCH), ("post", lambda r: SEARCH), ("get", _detail), ("post", _open_nik),
])
def test_a_role_without_resident_view_is_refused_403(client, maria, who, method, url):
    _login(client, who)
    before = row_counts()
    response = getattr(client, method)(url(maria), {"q": maria.name} if method == "post" else {})
    assert response.status_code == 403
    assert "Akses ditolak" in response.content.decode()
    assert row_counts() == before


def test_another_region_finds_nobody(client, maria):
    _login(client, "recording operator, Depok")
    response = _search(client, "MARIA")
    assert response.status_code == 200
    assert "MARIA" not in response.content.decode()
    assert response.context["page"].paginator.count == 0


@pytest.mark.parametrize("url", [_detail, _open_nik])
def test_another_region_gets_404_like_a_missing_resident(client, maria, url):
    _login(client, "recording operator, Depok")
    before = row_counts()
    method = client.post if url is _open_nik else client.get
    assert method(url(maria)).status_code == 404
    assert method(url(SimpleNamespace(pk=maria.pk + 999))).status_code == 404
    assert row_counts() == before  # no audit row for a refusal


@pytest.mark.parametrize("who", ["recording operator, Alak", "head of office, Kupang"])
def test_the_right_region_finds_and_opens(client, maria, who):
    _login(client, who)
    assert maria.name in _search(client, "goreti").content.decode()
    assert client.get(_detail(maria)).status_code == 200
    assert client.post(_open_nik(maria), **HTMX).status_code == 200


# --- search -----------------------------------------------------------------------------------

def test_search_page_posts_so_nothing_typed_lands_in_a_url(client):
    _login(client, "recording operator, Alak")
    page = client.get(SEARCH).content.decode()
    assert re.search(r'<form method="post"[^>]*hx-post="/residents/"', page)
    assert 'name="csrfmiddlewaretoken"' in page


def test_search_by_nik_and_by_kk_is_exact(client, maria):
    _login(client, "recording operator, Alak")
    by_nik = _search(client, maria.nik)
    by_kk = _search(client, maria.family.kk_number)
    by_prefix = _search(client, maria.nik[:12])
    assert maria.name in by_nik.content.decode()
    assert maria.name in by_kk.content.decode()
    assert maria.name not in by_prefix.content.decode()
    assert "16 angka" in by_prefix.content.decode()  # told what to type


def test_results_mask_the_nik_and_link_by_id(client, maria):
    _login(client, "recording operator, Alak")
    page = _search(client, "MARIA").content.decode()
    assert maria.nik not in page
    assert mask_nik(maria.nik) in page
    assert f'href="{_detail(maria)}"' in page


def test_a_plain_post_renders_the_whole_page(client, maria):
    _login(client, "recording operator, Alak")
    page = client.post(SEARCH, {"q": "MARIA"}).content.decode()
    assert "<html" in page and maria.name in page


def test_results_paginate(client):
    for n in range(25):
        PersonFactory(name=f"PETRUS LAKAPU {chr(65 + n)}")
    _login(client, "recording operator, Alak")
    first, second = _search(client, "PETRUS"), _search(client, "PETRUS", page=2)
    assert first.context["page"].paginator.count == 25
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert 'name="page" value="2"' in first.content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_search_queries_are_pinned(client, django_assert_num_queries, rows):
    """Session, user, the count and the page: the village names come from a join."""
    for n in range(rows):
        PersonFactory(name=f"PETRUS LAKAPU {n:03d}")
    _login(client, "recording operator, Alak")
    with django_assert_num_queries(4):
        assert _search(client, "PETRUS").status_code == 200


# --- detail and the opening of the NIK --------------------------------------------------------

def test_detail_shows_history_with_the_nik_masked(client, maria):
    application = application_of(record(maria))
    move(application, issuance_rules.S_PRR)
    ResidentEvent.objects.create(resident=maria, kind=ResidentEvent.Kind.DATA_CHANGED,
                                 changes={"kk_number": ["5371010101200001", "5371010101200002"]})
    _login(client, "recording operator, Alak")
    page = client.get(_detail(maria)).content.decode()
    assert maria.nik not in page and mask_nik(maria.nik) in page
    assert "5371010101200002" not in page  # KK numbers in the history are masked too
    assert issuance_rules.S_PRR in page and issuance_rules.S_RAC in page
    assert "Tampilkan NIK" in page


def test_viewing_the_detail_is_audited(client, maria):
    _login(client, "recording operator, Alak")
    client.get(_detail(maria))
    event = AuditEvent.objects.get()
    assert (event.action, event.nik, event.object_id) == ("read", maria.nik, str(maria.pk))


def test_opening_the_nik_shows_it_and_writes_an_audit_row(client, maria):
    _login(client, "recording operator, Alak")
    response = client.post(_open_nik(maria), **HTMX)
    assert maria.nik in response.content.decode()
    assert "<html" not in response.content.decode()  # only the fragment is swapped in
    event = AuditEvent.objects.get()
    assert (event.action, event.nik, event.purpose) == ("read", maria.nik, "NIK opened")


def test_opening_the_nik_without_javascript_answers_the_page(client, maria):
    _login(client, "recording operator, Alak")
    response = client.post(_open_nik(maria))
    assert response.status_code == 200
    assert maria.nik in response.content.decode() and "<html" in response.content.decode()


def test_opening_the_nik_needs_a_post(client, maria):
    _login(client, "recording operator, Alak")
    assert client.get(_open_nik(maria)).status_code == 405
    assert not AuditEvent.objects.exists()


def test_pages_with_personal_data_are_not_cached(client, maria):
    _login(client, "recording operator, Alak")
    for response in (client.get(_detail(maria)), _search(client, "MARIA")):
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("applications", [1, 4])
def test_detail_queries_are_pinned(client, django_assert_num_queries, maria, applications):
    """Session, user, region (top bar), resident, audit insert, events, applications and
    their history: the same for one application or many."""
    for _ in range(applications):
        move(application_of(record(maria)), issuance_rules.S_PRR, issuance_rules.S_CANCELLED)
    _login(client, "recording operator, Alak")
    with django_assert_num_queries(8):
        assert client.get(_detail(maria)).status_code == 200
