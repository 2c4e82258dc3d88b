"""Report pages, exports and API: the permission matrix (anonymous / no permission / other
region / right region), pinned query counts, exports that parse, and exports in the audit log."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from ektp.audit.models import AuditEvent
from ektp.reports.services import rollup_refresh
from ektp.reports.tests.factories import (
    KOTA_DEPOK,
    KOTA_KUPANG,
    MAULAFA,
    NAMOSAIN,
    OEPURA,
    office,
    person,
    stock,
    user,
)

pytestmark = pytest.mark.django_db

ELECTION = (timezone.localdate() + timedelta(days=90)).isoformat()
PAGES = ["/laporan/", "/laporan/cakupan/", "/laporan/antrean/", "/laporan/perkiraan/",
         f"/laporan/pemilu/?tanggal={ELECTION}", "/laporan/bulanan.pdf",
         "/laporan/ekspor/coverage.csv", "/laporan/ekspor/backlog.xlsx",
         "/laporan/ekspor/flow.pdf", "/laporan/ekspor/growth.csv",
         f"/laporan/ekspor/election.csv?tanggal={ELECTION}"]
STOCK_PAGES = ["/laporan/stok/", "/laporan/ekspor/stock.csv"]
API = ["/api/reports/coverage", "/api/reports/backlog", "/api/reports/flow",
       "/api/reports/growth", "/api/reports/forecast", f"/api/reports/election?day={ELECTION}"]
STOCK_API = ["/api/reports/stock"]


@pytest.fixture
def data():
    person(NAMOSAIN, age=30, married=True, status="CARD_ISSUED", waited_days=100)
    person(NAMOSAIN, age=25, status="PRINT_READY_RECORD", waited_days=10,
           steps=(("BIO_CAPTURED", 12), ("PRINT_READY_RECORD", 10)))
    person(OEPURA, age=17, days=-30)
    dinas = office("DINAS", KOTA_KUPANG, printers=("working", "broken"), kits=("working",))
    for item in ("blank", "ribbon", "film"):
        stock(dinas, item, 500, used_per_day=20)
    rollup_refresh()


def _client(**kwargs) -> Client:
    client = Client()
    client.force_login(user(**kwargs))
    return client


def _with(url: str, region: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}region={region}"


@pytest.mark.parametrize("url", PAGES + STOCK_PAGES)
def test_pages_permission_matrix(data, url):
    assert Client().get(url).status_code == 302  # anonymous: to the login page
    assert _client(role="field_officer").get(url).status_code == 403
    kupang = _client()
    assert kupang.get(_with(url, KOTA_DEPOK)).status_code == 404  # other region
    assert kupang.get(_with(url, "53.71.99")).status_code == 404  # unknown region
    assert kupang.get(url).status_code == 200
    assert kupang.get(_with(url, MAULAFA)).status_code == 200


def test_stock_pages_follow_the_stock_permission(data):
    keeper = _client(role="stock_keeper")
    assert keeper.get("/laporan/stok/").status_code == 200
    assert keeper.get("/laporan/").status_code == 200  # report.view: plans the stock
    recorder = _client(role="recording_operator")
    assert recorder.get("/laporan/stok/").status_code == 403
    assert recorder.get("/laporan/").status_code == 403  # no report.view


@pytest.mark.parametrize("url", API + STOCK_API)
def test_api_permission_matrix(data, url):
    anonymous = Client().get(url)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    forbidden = _client(role="field_officer").get(url)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    other = _client().get(_with(url, KOTA_DEPOK))
    assert other.status_code == 404 and other.json()["code"] == "region_unknown"
    assert _client().get(url).status_code == 200


def test_api_coverage_figures(data):
    body = _client().get("/api/reports/coverage?months=2").json()
    assert body["region_code"] == KOTA_KUPANG and body["computed_at"]
    assert body["total"]["residents"] == 3 and body["total"]["pemula"] == 1
    assert [c["key"] for c in body["columns"]][:3] == ["name", "residents", "wajib"]


def test_api_bad_parameters_get_codes(data):
    client = _client()
    response = client.get("/api/reports/coverage?months=99")
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    past = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = client.get(f"/api/reports/election?day={past}")
    assert response.status_code == 400 and response.json()["code"] == "election_date_range"
    response = client.get(f"/api/reports/forecast?target={past}")
    assert response.status_code == 400 and response.json()["code"] == "target_in_past"


def test_api_forecast_what_if_and_target(data):
    client = _client()
    target = (timezone.localdate() + timedelta(days=200)).isoformat()
    base = client.get("/api/reports/forecast").json()
    more = client.get(f"/api/reports/forecast?extra_blanks=5000&printers_repaired=1"
                      f"&target={target}").json()
    assert base["blanks"] == 500 and base["print_per_day"] == 200
    assert more["target"] == target and more["chart"]["datasets"][1]["label"]
    assert more["meets_target"] in (True, False)


def test_forecast_form_errors_are_shown_with_codes(data):
    page = _client().get("/laporan/perkiraan/?hari_tambahan=kemarin")
    assert page.status_code == 200
    assert "kemarin" in page.content.decode()
    assert b'class="field invalid"' in page.content


def test_exports_parse_and_are_audited(data):
    client = _client()
    before = AuditEvent.objects.filter(action="export").count()
    rows = list(csv.reader(io.StringIO(
        client.get("/laporan/ekspor/coverage.csv").content.decode("utf-8-sig"))))
    assert rows[0][0] == "Wilayah" and len(rows) == 1 + 2 + 1  # header, 2 kecamatan, total
    assert rows[-1][1] == "3"
    book = load_workbook(io.BytesIO(client.get("/laporan/ekspor/backlog.xlsx").content))
    sheet = book.active
    assert sheet["A2"].value == "Status" and sheet.max_row >= 4
    pdf = client.get("/laporan/ekspor/flow.pdf").content
    assert pdf.startswith(b"%PDF") and b"/Type /Page" in pdf
    monthly = client.get("/laporan/bulanan.pdf")
    assert monthly["Content-Type"] == "application/pdf"
    assert monthly.content.startswith(b"%PDF") and monthly.content.count(b"/Type /Page\n") + \
        monthly.content.count(b"/Type /Page ") >= 1
    events = AuditEvent.objects.filter(action="export").order_by("id")
    assert events.count() == before + 4
    assert events.last().object_id == KOTA_KUPANG
    assert {e.purpose for e in events} >= {"report coverage csv", "report monthly pdf"}


def test_refused_export_is_not_audited(data):
    _client(role="field_officer").get("/laporan/ekspor/coverage.csv")
    _client().get(f"/laporan/ekspor/coverage.csv?region={KOTA_DEPOK}")
    _client().get("/laporan/ekspor/nothing.csv")
    assert not AuditEvent.objects.filter(action="export").exists()


def test_pages_carry_charts_without_inline_script(data):
    page = _client().get("/laporan/").content.decode()
    assert page.count("data-chart=") == 3
    assert "reports/vendor/chart.umd.min.js" in page and "<script>" not in page


# Pinned query counts: session + user, then the report's own reads. A change here is a
# deliberate decision, not an accident (rollups keep them independent of the register size).
QUERIES = {"/laporan/": 18, "/laporan/cakupan/": 9, "/laporan/antrean/": 11,
           "/laporan/stok/": 9, "/laporan/perkiraan/": 10,
           f"/laporan/pemilu/?tanggal={ELECTION}": 8}


@pytest.mark.parametrize(("url", "count"), QUERIES.items())
def test_pinned_query_counts(data, url, count, django_assert_num_queries):
    client = _client()
    client.get(url)
    with django_assert_num_queries(count):
        assert client.get(url).status_code == 200
