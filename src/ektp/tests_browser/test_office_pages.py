"""The office-side pages, driven like a person would: a stock keeper books a delivery and a
transfer, a supervisor issues a temporary certificate and a stranger verifies it through its
QR link, a print operator reports a broken printer and closes the repair, and the head of
office narrows the devices page with the region picker. Screenshots on the way."""

import re

import pytest
from playwright.sync_api import Page, expect

from ektp.tests_browser.test_operator_pages import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def suket_key(settings, tmp_path, live_server):
    """A signing key outside the work tree; the QR points at the live server."""
    settings.EKTP_SUKET_KEY_FILE = tmp_path / "suket-signing.pem"
    settings.EKTP_PUBLIC_URL = live_server.url


def _menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name=name).click()


def test_stock_keeper_records_a_receipt_and_a_transfer(page, live_server, kupang,
                                                      screenshot_dir, console_errors):
    from ektp.printing.tests.factories import print_point
    from ektp.supplies.models import StockMovement

    print_point("KEL-NAMOSAIN", "53.71.01.1001")
    log_in(page, live_server.url, "blangko.kupang")
    _menu(page, "Persediaan")
    expect(page.get_by_role("heading", name=re.compile("Persediaan blangko"))).to_be_visible()
    page.get_by_role("link", name="Kantor DINAS-5371").click()

    page.get_by_role("link", name="Catat penerimaan").click()
    page.get_by_label("Barang").select_option("blank")
    page.get_by_label("Jumlah").fill("100")
    page.get_by_label("Nomor BA serah terima").fill("BA/ST/2026/07")
    page.get_by_label("Awalan nomor seri blangko").fill("KTP26-")
    page.get_by_label("Nomor seri pertama").fill("1")
    page.get_by_role("button", name="Catat penerimaan").click()
    expect(page.locator(".messages")).to_contain_text("Penerimaan dicatat")
    expect(page.locator("#stock tbody tr").first).to_contain_text("140")

    page.get_by_role("link", name="Kirim ke kantor lain").click()
    page.get_by_label("Kode kantor tujuan").fill("KEL-NAMOSAIN")
    page.get_by_label("Jumlah").fill("500")  # more than the Dinas holds
    page.get_by_label("Nomor BA / surat pengiriman").fill("ST/2026/11")
    page.get_by_role("button", name="Kirim").click()
    expect(page.get_by_role("alert")).to_contain_text("Stok kantor tidak cukup")
    assert not StockMovement.objects.filter(kind="transfer_out").exists()
    page.get_by_label("Jumlah").fill("25")
    page.get_by_role("button", name="Kirim").click()
    expect(page.locator(".messages")).to_contain_text("Pengiriman ke Kantor KEL-NAMOSAIN")
    expect(page.locator("#stock tbody tr").first).to_contain_text("115")
    expect(page.locator("#movements")).to_contain_text("Dikirim ke kantor lain")
    page.screenshot(path=screenshot_dir / "supplies.png", full_page=True)

    page.get_by_role("link", name="buku mutasi lengkap").click()
    expect(page.locator(".result-count")).to_contain_text("mutasi")
    expect(page.locator(".result-count")).to_have_text("5 mutasi")  # this office only
    # The refused transfer answered 409 (the browser notes the status); nothing else failed.
    assert [e for e in console_errors if "status of 409" not in e] == []


def test_issue_print_and_verify_a_certificate(page, live_server, kupang, suket_key,
                                             screenshot_dir, console_errors):
    from ektp.issuance.models import TemporaryCertificate
    from ektp.issuance.suket_services import verify_link

    yosef = kupang["YOSEF LAKAPU"]
    log_in(page, live_server.url, "supervisor.kupang")
    _menu(page, "Penduduk")
    page.get_by_label("NIK, No. KK atau nama").press_sequentially("yosef", delay=30)
    page.get_by_role("link", name="YOSEF LAKAPU").click()
    page.locator("#applications").get_by_role("link", name="Lacak").click()
    expect(page.get_by_role("heading", name=re.compile("Lacak permohonan"))).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("PRINT_READY_RECORD")

    page.get_by_role("link", name="Terbitkan surat keterangan").click()
    page.get_by_label("Kantor penerbit").select_option(label="DINAS-5371 Kantor DINAS-5371")
    page.get_by_role("button", name="Terbitkan").click()
    expect(page.locator(".messages")).to_contain_text("diterbitkan")
    certificate = TemporaryCertificate.objects.get()
    expect(page.get_by_role("heading", name=f"Surat keterangan {certificate.number}"))\
        .to_be_visible()
    assert yosef.nik not in page.content() and yosef.nik not in page.url
    page.screenshot(path=screenshot_dir / "suket.png", full_page=True)

    href = page.get_by_role("link", name="Cetak (PDF A4)").get_attribute("href")
    pdf = page.request.get(live_server.url + href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF") and "no-store" in pdf.headers["cache-control"]

    # Someone holding the paper scans the QR: the link opens the public verify page.
    _menu(page, "Suket")
    expect(page.locator("table")).to_contain_text(certificate.number)
    verifier = page.context.browser.new_page()
    verifier.goto(verify_link(certificate))
    expect(verifier.get_by_role("status")).to_contain_text("SAH / VALID")
    expect(verifier.locator("table")).to_contain_text("YOSEF LAKAPU")
    assert yosef.nik not in verifier.content()
    verifier.screenshot(path=screenshot_dir / "suket-verify.png", full_page=True)
    verifier.close()
    assert console_errors == []


def test_report_a_breakdown_and_close_the_repair(page, live_server, kupang, screenshot_dir,
                                                console_errors):
    from ektp.devices.models import Breakdown

    log_in(page, live_server.url, "pencetak.kupang")
    _menu(page, "Perangkat")
    expect(page.locator("#capacity")).to_contain_text("200")
    page.get_by_role("link", name="Kantor DINAS-5371").click()
    row = page.locator("table.devices tbody tr").first
    row.get_by_role("button", name="Laporkan kerusakan").click()  # nothing described
    assert row.get_by_label("Kerusakan").evaluate("field => field.validity.valueMissing")
    assert not Breakdown.objects.exists()  # the browser asked for a description first
    row.get_by_label("Kerusakan").fill("Print head bergaris")
    row.get_by_role("button", name="Laporkan kerusakan").click()
    expect(page.locator(".messages")).to_contain_text("dicatat")
    expect(row).to_contain_text("Rusak")
    expect(page.get_by_text("Kapasitas cetak: 0 kartu per hari.")).to_be_visible()
    page.screenshot(path=screenshot_dir / "devices.png", full_page=True)

    row.get_by_role("button", name="Mulai perbaikan").click()
    expect(row).to_contain_text("Dalam perbaikan")
    row.get_by_label("Catatan perbaikan").fill("Print head diganti teknisi")
    row.get_by_role("button", name="Selesai diperbaiki").click()
    expect(row).to_contain_text("Berfungsi")
    expect(page.get_by_text("Kapasitas cetak: 200 kartu per hari.")).to_be_visible()
    assert Breakdown.objects.get().repair_note == "Print head diganti teknisi"
    assert console_errors == []


def test_the_region_picker_searches_as_you_type(page, live_server, kupang, screenshot_dir,
                                               console_errors):
    from ektp.devices.services import device_register, office_create

    upt = office_create(actor=None, code="UPT-ALAK", name="UPT Alak", kind="upt",
                        region_code="53.71.01", records_biometrics=True)
    device_register(actor=None, office_id=upt.pk, kind="recording_kit", serial_number="KIT-1")
    log_in(page, live_server.url, "kadis.kupang")
    _menu(page, "Perangkat")
    expect(page.locator("#uncovered")).to_contain_text("Kecamatan Maulafa")

    page.get_by_label("Wilayah").press_sequentially("depok", delay=40)  # outside Kota Kupang
    expect(page.locator(".region-options")).to_contain_text("Tidak ada wilayah yang cocok")
    page.get_by_label("Wilayah").fill("")
    page.get_by_label("Wilayah").press_sequentially("ala", delay=40)
    option = page.get_by_role("radio", name=re.compile("^Kecamatan Alak"))
    expect(option).to_be_visible()
    page.screenshot(path=screenshot_dir / "region-picker.png", full_page=True)
    option.check()
    page.get_by_role("button", name="Tampilkan").click()

    expect(page.locator("#offices tbody tr")).to_have_count(1)
    expect(page.locator("#offices")).to_contain_text("UPT Alak")
    expect(page.locator("#uncovered")).to_contain_text("Setiap kecamatan memiliki")
    expect(page.get_by_role("radio", name=re.compile("^Kecamatan Alak"))).to_be_checked()
    assert "region=53.71.01" in page.url  # a region code, never personal data
    assert console_errors == []
