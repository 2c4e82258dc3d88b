"""Field verification and printing drives, driven like a person would: a field officer finds
a resident on the campaign's village list and records the visit; a print operator follows a
drive's progress. Screenshots fieldwork.png and drive.png are taken on the way."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ektp.tests_browser.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()


@pytest.fixture
def demo_users(monkeypatch, live_server):
    from ektp.demo.operators import ensure_demo_users

    monkeypatch.setenv("EKTP_DEMO_PASSWORD", DEMO_PASSWORD)
    ensure_demo_users()


@pytest.fixture
def campaign(demo_users):
    from ektp.fieldwork.tests.factories import kupang_campaign, person

    people = [person(name=name) for name in (
        "MARIA GORETI LAKAPU", "YOSEF NDOEN", "AGUSTINA TEFA", "PETRUS KORBAFO")]
    person("53.71.02.1001", name="YAKOBUS BENU")  # Oepura, Maulafa: not the officer's area
    return kupang_campaign(name="Verifikasi belum rekam Kupang"), people


def test_a_field_officer_records_a_visit(page, live_server, campaign, screenshot_dir,
                                         console_errors):
    from ektp.fieldwork.models import Entry, Visit

    _campaign, people = campaign
    maria = people[0]
    log_in(page, live_server.url, "lapangan.alak")
    page.get_by_role("link", name="Lapangan", exact=True).click()
    page.get_by_role("link", name="Verifikasi belum rekam Kupang").click()
    expect(page.locator("#villages")).to_contain_text("Namosain")
    expect(page.locator("#villages")).not_to_contain_text("Oepura")
    page.get_by_role("link", name=re.compile("Namosain")).click()
    row = page.locator("#entries tr", has_text="MARIA GORETI LAKAPU")
    row.get_by_role("link", name="Catat kunjungan").click()
    expect(page.get_by_role("heading", name=re.compile("MARIA GORETI LAKAPU"))).to_be_visible()
    page.get_by_label("Ada, diundang rekam").check()
    invite = timezone.localdate() + timedelta(days=5)
    page.get_by_label("Diundang rekam pada").fill(invite.isoformat())
    page.get_by_role("button", name="Simpan kunjungan").click()
    expect(page.locator(".messages")).to_contain_text("Kunjungan MARIA GORETI LAKAPU dicatat")
    expect(page.locator("#entries tr", has_text="MARIA GORETI LAKAPU")).to_contain_text(
        "Ada, diundang rekam")
    assert maria.nik not in page.content() and maria.nik not in page.url
    page.screenshot(path=screenshot_dir / "fieldwork.png", full_page=True)
    visit = Visit.objects.get()
    assert (visit.entry.resident_id, visit.outcome, visit.invited_for) == (
        maria.pk, "present", invite)
    assert Entry.objects.get(pk=visit.entry_id).visits_count == 1
    assert console_errors == []


def test_the_drive_progress_page(page, live_server, demo_users, screenshot_dir,
                                 console_errors):
    from ektp.printing.tests.drive_factories import drive_world, print_one

    world = drive_world(waiting=4, dinas_blanks=10)
    for _ in range(3):
        print_one(world.dinas)
    log_in(page, live_server.url, "pencetak.kupang")
    page.get_by_role("link", name="Cetak massal", exact=True).click()
    page.get_by_role("link", name="Cetak massal Kupang").click()
    points = page.locator("#points")
    expect(points).to_contain_text("DINAS-5371")
    expect(points.locator("tr", has_text="KEL-NAMOSAIN")).to_contain_text("blangko kurang")
    expect(page.locator("#drive-summary")).to_contain_text("Tercetak")
    page.screenshot(path=screenshot_dir / "drive.png", full_page=True)
    assert console_errors == []
