"""The operators' first pages, driven like a person would: log in with each demo account,
get locked out after five wrong passwords, find a resident, open the NIK, switch language.
Screenshots of the main pages are taken on the way (``make screenshots`` keeps them)."""

import re

import pytest
from playwright.sync_api import Page, expect

from ektp.tests_browser.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# Each demo account and the heading its home page must show.
HOMES = [
    ("perekam.alak", "Belum rekam"),
    ("pencetak.kupang", "Antrean cetak"),
    ("supervisor.kupang", "Antrean adjudikasi"),
    ("blangko.kupang", "Stok blangko dan bahan cetak"),
    ("kadis.kupang", "Ringkasan wilayah"),
    ("lapangan.alak", "Belum rekam"),
    ("admin", "Ringkasan wilayah"),
]


def log_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("heading", name="Masuk ke layanan KTP-el")).to_be_visible()


def test_each_demo_role_logs_in_to_its_own_home(page, live_server, kupang, screenshot_dir,
                                               console_errors):
    page.goto(f"{live_server.url}/login/")
    page.screenshot(path=screenshot_dir / "login.png")
    for username, heading in HOMES:
        log_in(page, live_server.url, username)
        expect(page.get_by_role("heading", name=re.compile(heading))).to_be_visible()
        expect(page.locator(".who .user")).to_have_text(username)
        page.screenshot(path=screenshot_dir / f"home-{username.split('.')[0]}.png",
                        full_page=True)
        log_out(page)
    assert console_errors == []


def test_the_home_page_fits_a_tablet(page, live_server, kupang, screenshot_dir):
    page.set_viewport_size({"width": 768, "height": 1024})
    log_in(page, live_server.url, "pencetak.kupang")
    expect(page.get_by_role("heading", name="Antrean cetak")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768  # no sideways scrolling
    page.screenshot(path=screenshot_dir / "home-tablet.png", full_page=True)


def test_five_wrong_passwords_lock_the_account(page, live_server, kupang, screenshot_dir):
    for _ in range(4):
        log_in(page, live_server.url, "perekam.alak", "salah")
        expect(page.get_by_role("alert")).to_contain_text("benar")
    log_in(page, live_server.url, "perekam.alak", "salah")
    expect(page.get_by_role("heading", name="Akun dikunci sementara")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("15 menit")
    page.screenshot(path=screenshot_dir / "locked.png")
    log_in(page, live_server.url, "perekam.alak")  # the right password: still locked
    expect(page.get_by_role("heading", name="Akun dikunci sementara")).to_be_visible()


def test_find_a_resident_open_the_detail_and_the_nik(page, live_server, kupang, screenshot_dir,
                                                     console_errors):
    from ektp.audit.models import AuditEvent

    maria = kupang["MARIA GORETI LAKAPU"]
    log_in(page, live_server.url, "perekam.alak")
    page.get_by_role("link", name="Penduduk").click()
    page.get_by_label("NIK, No. KK atau nama").press_sequentially("lakapu", delay=30)
    # Live results: no button pressed.
    expect(page.locator(".result-count")).to_have_text("24 penduduk ditemukan")
    page.get_by_role("button", name=re.compile("Berikutnya")).click()
    expect(page.get_by_text("Halaman 2 dari 2")).to_be_visible()
    page.get_by_role("button", name=re.compile("Sebelumnya")).click()
    expect(page.get_by_text("Halaman 1 dari 2")).to_be_visible()
    page.screenshot(path=screenshot_dir / "resident-search.png", full_page=True)
    assert maria.nik not in page.content()

    page.get_by_label("NIK, No. KK atau nama").fill("goreti lakapu")
    expect(page.locator(".result-count")).to_have_text("1 penduduk ditemukan")
    page.get_by_role("link", name="MARIA GORETI LAKAPU").click()
    expect(page.get_by_role("heading", name="MARIA GORETI LAKAPU")).to_be_visible()
    assert maria.nik not in page.content() and maria.nik not in page.url
    page.screenshot(path=screenshot_dir / "resident-detail.png", full_page=True)

    opened_before = AuditEvent.objects.filter(purpose="NIK opened").count()
    page.get_by_role("button", name="Tampilkan NIK").click()
    expect(page.locator(".nik.open")).to_have_text(maria.nik)
    assert AuditEvent.objects.filter(purpose="NIK opened", nik=maria.nik).count() \
        == opened_before + 1
    assert maria.nik not in page.url
    assert console_errors == []


def test_a_resident_history_shows_the_application_timeline(page, live_server, kupang):
    log_in(page, live_server.url, "perekam.alak")
    page.get_by_role("link", name="YOSEF LAKAPU").click()  # from "Perekaman terakhir Anda"
    timeline = page.locator("#applications .timeline")
    expect(timeline).to_contain_text("RECEIVED_AT_CENTRAL")
    expect(timeline).to_contain_text("PRINT_READY_RECORD")


def test_switch_to_english_and_back(page, live_server, kupang, screenshot_dir, console_errors):
    log_in(page, live_server.url, "perekam.alak")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Home")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Not yet recorded"))).to_be_visible()
    page.screenshot(path=screenshot_dir / "home-english.png", full_page=True)
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.get_by_role("link", name="Beranda")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Belum rekam"))).to_be_visible()
    assert console_errors == []
