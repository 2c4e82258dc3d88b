"""Printing-drive pages: the permission matrix of every page (denials change nothing), the
progress page and its htmx fragment, the forms, and pinned query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ektp.accounts import rules as roles
from ektp.enrollment.tests.factories import user
from ektp.printing.models import Drive, DrivePoint, DriveSupply
from ektp.printing.tests.drive_factories import (
    KOTA_KUPANG,
    drive_world,
    kelurahan_point,
    print_one,
    snapshot,
)
from ektp.printing.tests.factories import KOTA_DEPOK

pytestmark = pytest.mark.django_db

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


def _login(client, who):
    if who != "anonymous":
        client.force_login(user(*WHO[who]))


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _pages(world):
    drive, point, now = world.drive.pk, world.namosain_point.pk, timezone.now()
    return {
        "list": ("get", reverse("drive_list"), {}),
        "new": ("get", reverse("drive_create"), {}),
        "create": ("post", reverse("drive_create"), {
            "name": "Cetak massal Alak", "region_code": KOTA_KUPANG,
            "starts_at": _local(now), "ends_at": _local(now + timedelta(days=2)),
            "stall_minutes": 30}),
        "detail": ("get", reverse("drive_detail", args=[drive]), {}),
        "progress": ("get", reverse("drive_progress", args=[drive]), {}),
        "point": ("post", reverse("drive_point_set", args=[drive]),
                  {"office": world.namosain.pk, "target": 9}),
        "request": ("post", reverse("drive_point_request", args=[drive, point]), {}),
        "transfer form": ("get", reverse("drive_point_transfer", args=[drive, point]), {}),
        "transfer": ("post", reverse("drive_point_transfer", args=[drive, point]), {
            "idempotency_key": "k-1", "from_office": world.dinas.pk, "quantity": 2,
            "handover_ref": "BA-1"}),
    }


EXPECTED = {
    "list": {"no role": 403, "field officer, Alak": 403, "print operator, Depok": 200,
             "print operator, Kupang": 200},
    "new": {"no role": 403, "print operator, Kupang": 403, "head of office, Kupang": 200},
    "create": {"no role": 403, "print operator, Kupang": 403, "head of office, Depok": 200,
               "head of office, Kupang": 302},
    "detail": {"no role": 403, "field officer, Alak": 403, "print operator, Depok": 404,
               "print operator, Kupang": 200, "head of office, Kupang": 200},
    "progress": {"no role": 403, "field officer, Alak": 403, "print operator, Depok": 404,
                 "print operator, Kupang": 200},
    "point": {"no role": 403, "print operator, Kupang": 403, "head of office, Depok": 404,
              "head of office, Kupang": 302},
    "request": {"no role": 403, "print operator, Kupang": 403, "head of office, Kupang": 403,
                "stock keeper, Depok": 404, "stock keeper, Kupang": 302},
    "transfer form": {"no role": 403, "print operator, Kupang": 403,
                      "stock keeper, Depok": 404, "stock keeper, Kupang": 200},
    "transfer": {"no role": 403, "print operator, Kupang": 403, "stock keeper, Depok": 404,
                 "stock keeper, Kupang": 302},
}
CASES = [(page, who, status) for page, by_who in EXPECTED.items()
         for who, status in by_who.items()]


@pytest.mark.parametrize("page", list(EXPECTED))
def test_anonymous_is_sent_to_login_and_nothing_is_written(client, world, page):
    method, url, data = _pages(world)[page]
    before = snapshot()
    response = getattr(client, method)(url, data)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert snapshot() == before


@pytest.mark.parametrize("page, who, status", CASES)
def test_permission_matrix(client, world, page, who, status):
    method, url, data = _pages(world)[page]
    _login(client, who)
    before = snapshot()
    assert getattr(client, method)(url, data).status_code == status
    if status in (403, 404) or (method == "post" and status == 200):
        assert snapshot() == before


def test_the_progress_page_flags_short_and_stalled_points(client, world):
    print_one(world.dinas)
    _login(client, "print operator, Kupang")
    page = client.get(reverse("drive_detail", args=[world.drive.pk])).content.decode()
    assert "Kelurahan KEL-NAMOSAIN" in page and "blangko kurang" in page
    assert 'hx-trigger="every 60s"' in page  # the table refreshes while the drive runs
    fragment = client.get(reverse("drive_progress", args=[world.drive.pk])).content.decode()
    assert "<html" not in fragment and "DINAS-5371" in fragment


def test_the_forms_write_through_the_services(client, world):
    _login(client, "head of office, Kupang")
    client.post(reverse("drive_point_set", args=[world.drive.pk]),
                {"office": world.namosain.pk, "target": 9})
    assert DrivePoint.objects.get(pk=world.namosain_point.pk).target == 9
    now = timezone.now()
    response = client.post(reverse("drive_create"), {
        "name": "Cetak massal dua hari", "region_code": KOTA_KUPANG, "starts_at": _local(now),
        "ends_at": _local(now + timedelta(days=2)), "stall_minutes": 45})
    drive = Drive.objects.get(name="Cetak massal dua hari")
    assert response["Location"] == reverse("drive_detail", args=[drive.pk])
    _login(client, "stock keeper, Kupang")
    data = {"idempotency_key": "k-9", "from_office": world.dinas.pk, "quantity": 3,
            "handover_ref": "BA-9"}
    url = reverse("drive_point_transfer", args=[world.drive.pk, world.namosain_point.pk])
    client.post(url, data)
    client.post(url, data)  # sent twice: moved once
    assert [s.quantity for s in DriveSupply.objects.all()] == [3]


def test_a_refused_drive_is_shown_on_the_form_and_nothing_is_written(client, world):
    _login(client, "head of office, Kupang")
    now = timezone.now()
    before = snapshot()
    response = client.post(reverse("drive_create"), {
        "name": "Terlalu lama", "region_code": KOTA_KUPANG, "starts_at": _local(now),
        "ends_at": _local(now + timedelta(days=30)), "stall_minutes": 30})
    assert response.status_code == 200 and "at most 14 days" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("points", [1, 5])
def test_query_counts_are_pinned(client, world, django_assert_num_queries, points):
    from ektp.printing import drive_services

    for n in range(points):
        office = kelurahan_point(f"KEL-X{n}", "53.71.01.1002")
        drive_services.drive_point_set(actor=None, drive_id=world.drive.pk,
                                       office_id=office.pk, target=3)
    _login(client, "print operator, Kupang")
    for url, queries in ((reverse("drive_list"), 4),
                         (reverse("drive_detail", args=[world.drive.pk]), 9),
                         (reverse("drive_progress", args=[world.drive.pk]), 8)):
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200


def test_pages_keep_to_the_csp_no_inline_script_or_style(client, world):
    import re

    _login(client, "head of office, Kupang")
    for url in (reverse("drive_list"), reverse("drive_create"),
                reverse("drive_detail", args=[world.drive.pk])):
        page = client.get(url).content.decode()
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert all('src="/static/' in tag for tag in scripts)
        assert "<style" not in page and " style=" not in page
