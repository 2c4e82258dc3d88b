"""Devices pages: the permission matrix of every view (denials write nothing), capacity and
the kecamatan without a working recording kit, breakdowns reported and repairs closed through
the services, bad input answered with a clear message and nothing written, pinned query
counts and pagination."""

import pytest
from django.urls import reverse

from ektp.accounts import rules as roles
from ektp.devices.models import Breakdown, Device
from ektp.devices.services import office_create
from ektp.devices.tests.factories import ALAK, KELAPA_LIMA, device, office, snapshot
from ektp.enrollment.tests.factories import KOTA_DEPOK, KOTA_KUPANG, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def dinas():
    return office()


@pytest.fixture
def printer(dinas):
    return device(dinas)


def _views(dinas, printer):
    return [
        ("device_overview", "get", False, {}),
        ("device_office", "get", False, {"office_id": dinas.pk}),
        ("device_report", "post", True, {"device_id": printer.pk}),
        ("device_repair_start", "post", True, {"device_id": printer.pk}),
        ("device_repair_close", "post", True, {"device_id": printer.pk}),
    ]


def _call(client, name, method, kwargs):
    url = reverse(name, kwargs=kwargs)
    body = {f"d{kwargs.get('device_id')}-description": "Roller macet"}
    return client.post(url, body) if method == "post" else client.get(url)


def test_anonymous_is_sent_to_login_and_nothing_is_written(client, dinas, printer):
    before = snapshot()
    for name, method, _manage, kwargs in _views(dinas, printer):
        response = _call(client, name, method, kwargs)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert snapshot() == before


@pytest.mark.parametrize("role", ["", roles.FIELD_OFFICER])
def test_a_role_without_device_view_is_refused_403(client, dinas, printer, role):
    client.force_login(user(role, KOTA_KUPANG))
    before = snapshot()
    for name, method, _manage, kwargs in _views(dinas, printer):
        assert _call(client, name, method, kwargs).status_code == 403, name
    assert snapshot() == before


@pytest.mark.parametrize("role", [roles.STOCK_KEEPER, roles.HEAD_OF_OFFICE,
                                  roles.RECORDING_OPERATOR])
def test_viewers_read_but_may_not_write(client, dinas, printer, role):
    client.force_login(user(role, KOTA_KUPANG))
    before = snapshot()
    for name, method, manage, kwargs in _views(dinas, printer):
        assert _call(client, name, method, kwargs).status_code == (403 if manage else 200), name
    assert snapshot() == before
    assert "Laporkan kerusakan" not in client.get(
        reverse("device_office", args=[dinas.pk])).content.decode()


def test_another_region_gets_404_like_a_missing_device(client, dinas, printer):
    client.force_login(user(roles.SUPERVISOR, KOTA_DEPOK))
    before = snapshot()
    for name, method, _manage, kwargs in _views(dinas, printer):
        status = _call(client, name, method, kwargs).status_code
        assert status == (200 if not kwargs else 404), name
    assert snapshot() == before
    assert dinas.code not in client.get(reverse("device_overview")).content.decode()


def test_the_right_region_reports_starts_and_closes_a_repair(client, dinas, printer):
    supervisor = user(roles.SUPERVISOR, KOTA_KUPANG)
    client.force_login(supervisor)
    assert client.get(reverse("device_office", args=[dinas.pk])).context["capacity"] == 200
    response = client.post(reverse("device_report", args=[printer.pk]),
                           {f"d{printer.pk}-description": "Roller macet"})
    assert response.status_code == 302
    breakdown = Breakdown.objects.get()
    assert (breakdown.description, breakdown.reported_by) == ("Roller macet", supervisor)
    page = client.get(response["Location"])
    assert "Roller macet" in page.content.decode() and page.context["capacity"] == 0
    assert client.post(reverse("device_repair_start", args=[printer.pk])).status_code == 302
    assert Device.objects.get().status == "in_repair"
    response = client.post(reverse("device_repair_close", args=[printer.pk]),
                           {f"d{printer.pk}-note": "Roller diganti"})
    assert response.status_code == 302
    breakdown.refresh_from_db()
    assert breakdown.repair_note == "Roller diganti" and breakdown.repaired_at
    assert Device.objects.get().status == "working"


def test_a_degraded_printer_still_counts_for_less(client, dinas, printer):
    client.force_login(user(roles.PRINT_OPERATOR, KOTA_KUPANG))
    client.post(reverse("device_report", args=[printer.pk]),
                {f"d{printer.pk}-description": "Warna pudar", f"d{printer.pk}-degraded_only": "on"})
    assert Device.objects.get().status == "degraded"
    assert client.get(reverse("device_office", args=[dinas.pk])).context["capacity"] == 75


@pytest.mark.parametrize("description, message", [
    ("", "tidak boleh kosong"), ("x" * 301, "paling banyak 300"),
])
def test_a_bad_report_says_why_and_writes_nothing(client, dinas, printer, description, message):
    client.force_login(user(roles.SUPERVISOR, KOTA_KUPANG))
    before = snapshot()
    response = client.post(reverse("device_report", args=[printer.pk]),
                           {f"d{printer.pk}-description": description})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_a_second_report_and_a_close_without_breakdown_are_conflicts(client, dinas):
    broken, working = device(dinas, status="broken"), device(dinas)
    client.force_login(user(roles.SUPERVISOR, KOTA_KUPANG))
    before = snapshot()
    again = client.post(reverse("device_report", args=[broken.pk]),
                        {f"d{broken.pk}-description": "lagi"})
    close = client.post(reverse("device_repair_close", args=[working.pk]), {})
    assert again.status_code == 409 and "breakdown_open" in again.content.decode()
    assert close.status_code == 409 and "breakdown_missing" in close.content.decode()
    assert snapshot() == before


def test_reads_need_get_and_writes_need_post(client, dinas, printer):
    client.force_login(user(roles.SUPERVISOR, KOTA_KUPANG))
    assert client.get(reverse("device_report", args=[printer.pk])).status_code == 405
    assert client.post(reverse("device_overview")).status_code == 405


# --- the overview -------------------------------------------------------------------------------

def test_the_overview_flags_kecamatan_without_a_working_kit(client, dinas):
    alak = office_create(actor=None, code="UPT-ALAK", name="UPT Alak", kind="upt",
                         region_code=ALAK, records_biometrics=True)
    lima = office_create(actor=None, code="UPT-KL", name="UPT Kelapa Lima", kind="upt",
                         region_code=KELAPA_LIMA, records_biometrics=True)
    device(alak, kind="recording_kit")
    device(lima, kind="recording_kit", status="broken")
    device(dinas), device(dinas, status="degraded"), device(dinas, status="broken")
    client.force_login(user(roles.HEAD_OF_OFFICE, KOTA_KUPANG))
    page = client.get(reverse("device_overview"))
    codes = [district.code for district in page.context["uncovered"]]
    assert KELAPA_LIMA in codes and ALAK not in codes
    assert page.context["capacity"] == {"printers": 3, "working": 1, "degraded": 1,
                                        "cards_per_day": 275}
    kits = {row["office"].code: row["office"].kits for row in page.context["rows"]}
    assert kits == {"DINAS-5371": 0, "UPT-ALAK": 1, "UPT-KL": 0}
    narrowed = client.get(reverse("device_overview"), {"region": ALAK})
    assert narrowed.context["uncovered"] == []
    assert [row["office"].code for row in narrowed.context["rows"]] == ["UPT-ALAK"]


@pytest.mark.parametrize("offices", [2, 25])
def test_overview_queries_are_pinned_and_it_paginates(client, django_assert_num_queries,
                                                      offices):
    """Session, user, region (top bar), capacity, count, the offices with their counts, and
    the kecamatan check (kits, then the kecamatan): however many offices."""
    for n in range(offices):
        device(office(f"KEL-{n:02d}"))
    client.force_login(user(roles.HEAD_OF_OFFICE, KOTA_KUPANG))
    with django_assert_num_queries(8):
        page = client.get(reverse("device_overview"))
    assert page.context["page"].paginator.count == offices
    assert len(page.context["rows"]) == min(offices, 20)
    if offices > 20:
        assert len(client.get(reverse("device_overview"), {"page": 2}).context["rows"]) == 5


def test_a_central_admin_without_region_is_asked_to_choose_one(client, dinas):
    client.force_login(user(roles.CENTRAL_ADMIN, None))
    page = client.get(reverse("device_overview"))
    assert page.context["uncovered"] is None
    assert "Pilih wilayah" in page.content.decode()
