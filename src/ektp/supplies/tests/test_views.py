"""Supplies pages: the permission matrix of every view (anonymous, no permission, the right
role in another region, the right role in the right region; denials write nothing), receipts,
transfers, requests and destructions through the services, bad input answered with a clear
message and nothing written, pinned query counts and pagination."""

import pytest
from django.urls import reverse

from ektp.accounts import rules as roles
from ektp.supplies import services
from ektp.supplies.models import Destruction, StockMovement, StockRequest
from ektp.supplies.tests.factories import (
    KOTA_DEPOK,
    NAMOSAIN,
    OEPURA,
    make_office,
    make_user,
    receive_blanks,
    receive_rolls,
    snapshot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper():
    return make_user(roles.STOCK_KEEPER)


@pytest.fixture
def spoiled(kelurahan):
    """Two blanks of the Namosain print point, taken for prints and spoiled."""
    receive_blanks(kelurahan, 5)
    for _ in range(2):
        blank = services.blank_take(actor=None, office_id=kelurahan.pk, first_card=True,
                                    serial=None, reference="uji")
        services.blank_spoil(actor=None, serial=blank.serial, reason="misprint")
    return kelurahan


# (name, method, needs manage, url kwargs from the office, body)
def _views(office, destruction=None):
    ids = {"office_id": office.pk}
    pages = [
        ("supplies_overview", "get", False, {}),
        ("supplies_ledger", "get", False, {}),
        ("supplies_office", "get", False, ids),
        ("supplies_receive", "get", True, ids),
        ("supplies_receive", "post", True, ids),
        ("supplies_transfer", "get", True, ids),
        ("supplies_transfer", "post", True, ids),
        ("supplies_request", "get", True, ids),
        ("supplies_request", "post", True, ids),
        ("supplies_destroy", "get", True, ids),
        ("supplies_destroy", "post", True, ids),
    ]
    if destruction is not None:
        pages.append(("supplies_destruction", "get", False, {"destruction_id": destruction.pk}))
    return pages


RECEIPT = {"item": "blank", "earmark": "general", "quantity": "10", "handover_ref": "BA/01",
           "serial_prefix": "KTP25-", "first_serial": "100", "idempotency_key": "web-k1"}


def _destruction(office):
    receive_blanks(office, 1, first=900)
    blank = services.blank_take(actor=None, office_id=office.pk, first_card=True, serial=None,
                                reference="uji")
    services.blank_spoil(actor=None, serial=blank.serial, reason="misprint")
    return services.destruction_record(actor=None, office_id=office.pk, ba_number="BA/X/1",
                                       witnesses=[{"name": "Saksi"}], serials=[blank.serial])


def _call(client, name, method, kwargs, body=None):
    url = reverse(name, kwargs=kwargs)
    return client.post(url, body or RECEIPT) if method == "post" else client.get(url)


def test_anonymous_is_sent_to_login_and_nothing_is_written(client, dinas):
    destruction = _destruction(dinas)
    before = snapshot()
    for name, method, _manage, kwargs in _views(dinas, destruction):
        response = _call(client, name, method, kwargs)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login"))
    assert snapshot() == before


@pytest.mark.parametrize("role", ["", roles.RECORDING_OPERATOR, roles.FIELD_OFFICER])
def test_a_role_without_supplies_view_is_refused_403(client, dinas, role):
    destruction = _destruction(dinas)
    client.force_login(make_user(role))
    before = snapshot()
    for name, method, _manage, kwargs in _views(dinas, destruction):
        assert _call(client, name, method, kwargs).status_code == 403, name
    assert snapshot() == before


@pytest.mark.parametrize("role", [roles.PRINT_OPERATOR, roles.HEAD_OF_OFFICE])
def test_viewers_read_but_may_not_write(client, dinas, role):
    destruction = _destruction(dinas)
    client.force_login(make_user(role))
    before = snapshot()
    for name, method, manage, kwargs in _views(dinas, destruction):
        expected = 403 if manage else 200
        assert _call(client, name, method, kwargs).status_code == expected, name
    assert snapshot() == before


def test_another_region_gets_404_like_a_missing_office(client, dinas):
    destruction = _destruction(dinas)
    client.force_login(make_user(roles.STOCK_KEEPER, KOTA_DEPOK))
    before = snapshot()
    for name, method, _manage, kwargs in _views(dinas, destruction):
        status = _call(client, name, method, kwargs).status_code
        assert status == (200 if not kwargs else 404), name
    assert client.get(reverse("supplies_office", args=[dinas.pk + 99])).status_code == 404
    assert snapshot() == before
    overview = client.get(reverse("supplies_overview"))
    assert dinas.code not in overview.content.decode()  # the list leaves it out
    assert client.get(reverse("supplies_ledger")).context["page"].paginator.count == 0


def test_the_right_region_sees_every_page(client, dinas, keeper):
    destruction = _destruction(dinas)
    client.force_login(keeper)
    for name, method, _manage, kwargs in _views(dinas, destruction):
        if method == "get":
            assert _call(client, name, method, kwargs).status_code == 200, name


# --- stock and the ledger -----------------------------------------------------------------------

def test_the_office_page_shows_stock_by_item_and_earmark(client, dinas, keeper):
    receive_blanks(dinas, 30, earmark="first")
    receive_blanks(dinas, 20, first=500)
    receive_rolls(dinas)
    client.force_login(keeper)
    page = client.get(reverse("supplies_office", args=[dinas.pk]))
    assert page.status_code == 200
    blank = page.context["summary"][0]
    assert (blank["quantity"], blank["by_earmark"]) == (50, {"first": 30, "general": 20})
    text = page.content.decode()
    assert "Pemula: 30" in text and "Umum: 20" in text
    assert "Catat penerimaan" in text  # a keeper may manage


@pytest.mark.parametrize("offices", [2, 12])
def test_overview_queries_are_pinned(client, django_assert_num_queries, keeper, offices):
    """Session, user, region (top bar), count, the offices, stock and use: however many."""
    for n in range(offices):
        receive_blanks(make_office(f"KEL-{n:02d}", NAMOSAIN, kind="kelurahan"), 3, first=n * 10)
    client.force_login(keeper)
    with django_assert_num_queries(7):
        response = client.get(reverse("supplies_overview"))
    assert len(response.context["rows"]) == offices


def test_overview_paginates_and_filters_by_region(client, keeper):
    for n in range(23):
        make_office(f"KEL-{n:02d}", NAMOSAIN if n < 21 else OEPURA, kind="kelurahan")
    client.force_login(keeper)
    first = client.get(reverse("supplies_overview"))
    second = client.get(reverse("supplies_overview"), {"page": 2})
    assert first.context["page"].paginator.count == 23
    assert (len(first.context["rows"]), len(second.context["rows"])) == (20, 3)
    assert "page=2" in first.content.decode()
    maulafa = client.get(reverse("supplies_overview"), {"region": "53.71.02"})
    assert [row["office"].code for row in maulafa.context["rows"]] == ["KEL-21", "KEL-22"]


def test_a_region_outside_ones_own_is_refused_by_the_filter(client, keeper, dinas):
    client.force_login(keeper)
    response = client.get(reverse("supplies_overview"), {"region": "32.76"})
    assert "di luar wilayah kerja Anda" in response.content.decode()


@pytest.mark.parametrize("rows", [3, 60])
def test_ledger_queries_are_pinned_and_it_paginates(client, django_assert_num_queries, dinas,
                                                     keeper, rows):
    """Session, user, region (top bar), the office choices, count, the page (with the office,
    counterpart and actor joined)."""
    for n in range(rows):
        services.allocation_receive(actor=keeper, office_id=dinas.pk, item="ribbon", quantity=1,
                                    handover_ref=f"BA-{n}")
    client.force_login(keeper)
    with django_assert_num_queries(6):
        response = client.get(reverse("supplies_ledger"), {"item": "ribbon"})
    page = response.context["page"]
    assert page.paginator.count == rows
    assert len(page.object_list) == min(rows, 50)
    if rows > 50:
        assert "item=ribbon&amp;page=2" in response.content.decode()
        assert len(client.get(reverse("supplies_ledger"),
                              {"item": "ribbon", "page": 2}).context["page"].object_list) == 10


# --- writes -------------------------------------------------------------------------------------

def test_a_receipt_is_booked_once_even_if_the_form_is_sent_twice(client, dinas, keeper):
    client.force_login(keeper)
    url = reverse("supplies_receive", args=[dinas.pk])
    form = client.get(url).context["form"]
    key = form["idempotency_key"].value()
    assert key.startswith("web-")
    body = {**RECEIPT, "idempotency_key": key}
    first = client.post(url, body)
    assert first.status_code == 302 and first["Location"] == reverse("supplies_office",
                                                                     args=[dinas.pk])
    assert client.post(url, body).status_code == 302  # a resent form: acknowledged
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.quantity, movement.actor) == ("allocation", 10, keeper)


@pytest.mark.parametrize("body, message", [
    ({"quantity": "0"}, "Pastikan nilai ini lebih besar"),
    ({"handover_ref": ""}, "tidak boleh kosong"),
    ({"serial_prefix": ""}, "rentang nomor seri"),
    ({"item": "ribbon"}, "serial_range_blank_only"),
    ({"item": "ribbon", "serial_prefix": "", "first_serial": "", "earmark": "first"},
     "earmark_blank_only"),
    ({"first_serial": "9999999"}, "serial_range_invalid"),
])
def test_bad_receipts_say_why_and_write_nothing(client, dinas, keeper, body, message):
    client.force_login(keeper)
    before = snapshot()
    response = client.post(reverse("supplies_receive", args=[dinas.pk]), {**RECEIPT, **body})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_serials_received_twice_are_a_conflict(client, dinas, keeper):
    receive_blanks(dinas, 10, first=100)
    client.force_login(keeper)
    before = snapshot()
    response = client.post(reverse("supplies_receive", args=[dinas.pk]), RECEIPT)
    assert response.status_code == 409
    assert "blank_serial_exists" in response.content.decode()
    assert snapshot() == before


def test_a_transfer_moves_blanks_oldest_first(client, dinas, kelurahan, keeper):
    receive_blanks(dinas, 10)
    client.force_login(keeper)
    response = client.post(reverse("supplies_transfer", args=[dinas.pk]), {
        "to_office": kelurahan.code, "item": "blank", "earmark": "general", "quantity": "4",
        "reference": "ST/1", "idempotency_key": "web-t1"})
    assert response.status_code == 302
    out, into = StockMovement.objects.filter(kind__startswith="transfer").order_by("id")
    assert (out.office, out.quantity, into.office, into.quantity) == (dinas, -4, kelurahan, 4)
    assert out.note == "KTP25-0000001..KTP25-0000004"


@pytest.mark.parametrize("body, status, message", [
    ({"quantity": "11"}, 409, "stock_insufficient"),
    ({"to_office": "NOPE"}, 400, "Tidak ada kantor dengan kode NOPE"),
    ({"to_office": "DINAS-5371"}, 400, "transfer_same_office"),
    ({"reference": ""}, 400, "tidak boleh kosong"),
])
def test_bad_transfers_say_why_and_write_nothing(client, dinas, kelurahan, keeper, body, status,
                                                message):
    receive_blanks(dinas, 10)
    client.force_login(keeper)
    before = snapshot()
    response = client.post(reverse("supplies_transfer", args=[dinas.pk]), {
        "to_office": kelurahan.code, "item": "blank", "earmark": "general", "quantity": "4",
        "reference": "ST/1", "idempotency_key": "web-t2", **body})
    assert response.status_code == status
    assert message in response.content.decode()
    assert snapshot() == before


def test_a_request_is_prefilled_with_the_suggestion_and_sent(client, dinas, keeper):
    client.force_login(keeper)
    url = reverse("supplies_request", args=[dinas.pk])
    page = client.get(url, {"item": "ribbon"})
    assert page.context["suggestion"]["item"] == "ribbon"
    assert "Print-ready records waiting" in page.context["form"]["justification"].value()
    response = client.post(url, {"item": "blank", "quantity": "500", "justification": "Habis",
                                 "letter_number": "470/12"})
    assert response.status_code == 302
    request = StockRequest.objects.get()
    assert (request.quantity, request.letter_number, request.actor) == (500, "470/12", keeper)


def test_a_request_without_a_reason_writes_nothing(client, dinas, keeper):
    client.force_login(keeper)
    before = snapshot()
    response = client.post(reverse("supplies_request", args=[dinas.pk]),
                           {"item": "blank", "quantity": "5", "justification": "  "})
    assert response.status_code == 400
    assert snapshot() == before


def test_a_destruction_is_recorded_and_its_berita_acara_printable(client, spoiled, keeper):
    client.force_login(keeper)
    url = reverse("supplies_destroy", args=[spoiled.pk])
    serials = [value for value, _label in client.get(url).context["form"]["serials"]
               .field.choices]
    assert len(serials) == 2
    response = client.post(url, {"ba_number": "BA/PMS/2026/1", "serials": serials,
                                 "witness_1_name": "Yohana Ndoen",
                                 "witness_1_institution": "Inspektorat"})
    destruction = Destruction.objects.get()
    assert response["Location"] == reverse("supplies_destruction", args=[destruction.pk])
    ba = client.get(response["Location"]).content.decode()
    assert "BA/PMS/2026/1" in ba and "Yohana Ndoen" in ba and serials[0] in ba
    assert "ektp/print.js" in ba


@pytest.mark.parametrize("body, message", [
    ({"witness_1_name": ""}, "tidak boleh kosong"),
    ({"serials": []}, "tidak boleh kosong"),
    ({"serials": ["KTP25-9999999"]}, "bukan salah satu dari pilihan"),
])
def test_bad_destructions_say_why_and_write_nothing(client, spoiled, keeper, body, message):
    client.force_login(keeper)
    url = reverse("supplies_destroy", args=[spoiled.pk])
    serials = [value for value, _label in client.get(url).context["form"]["serials"]
               .field.choices]
    before = snapshot()
    response = client.post(url, {"ba_number": "BA/1", "serials": serials,
                                 "witness_1_name": "Saksi", **body})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_a_berita_acara_number_used_twice_is_a_conflict(client, spoiled, keeper):
    _destruction(spoiled)  # BA/X/1
    client.force_login(keeper)
    url = reverse("supplies_destroy", args=[spoiled.pk])
    serials = [value for value, _label in client.get(url).context["form"]["serials"]
               .field.choices]
    before = snapshot()
    response = client.post(url, {"ba_number": "BA/X/1", "serials": serials,
                                 "witness_1_name": "Saksi"})
    assert response.status_code == 409 and "ba_number_exists" in response.content.decode()
    assert snapshot() == before


def test_office_pages_keep_the_csp_and_post_with_csrf(client, dinas, keeper):
    """No inline script or style on the supplies, devices and certificate pages (the CSP
    forbids them); every POST form carries the CSRF token."""
    import re

    destruction = _destruction(dinas)
    client.force_login(make_user(roles.CENTRAL_ADMIN, None))
    urls = [reverse(name, kwargs=kwargs) for name, method, _m, kwargs
            in _views(dinas, destruction) if method == "get"]
    urls += [reverse("device_overview"), reverse("device_office", args=[dinas.pk]),
             reverse("certificate_list")]
    for url in urls:
        page = client.get(url).content.decode()
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert all('src="/static/' in tag for tag in scripts), url
        assert "<style" not in page and " style=" not in page, url
        forms = re.findall(r"<form\b.*?</form>", page, re.S)
        assert all("csrfmiddlewaretoken" in form for form in forms if 'method="post"' in form)
