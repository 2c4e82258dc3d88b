"""The work floor, driven like a person would: record a resident (a bad photo refused inline,
then a good one), adjudicate a doubtful match with the two records side by side, and print
cards at a kecamatan print point until its blanks run out. Screenshots on the way
(recording.png, adjudication.png, print-queue.png, ...); each page also fits a tablet."""

import json
import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from ektp.tests_browser.test_operator_pages import log_in

pytestmark = pytest.mark.django_db(transaction=True)
TABLET = {"width": 768, "height": 1024}
# An image's width once it has really loaded (decode() waits for it; a broken image rejects).
LOADED_WIDTH = "img => img.decode().then(() => img.naturalWidth)"


@pytest.fixture
def faces():
    """Photos embed to synthetic faces (the live server runs in this process), so recording
    needs no real face in a picture."""
    from ektp.enrollment.face import set_face_embedder
    from ektp.enrollment.tests import biometrics

    embedder = biometrics.PhotoFaces()
    set_face_embedder(embedder)
    yield embedder
    set_face_embedder(None)


@pytest.fixture
def capture_files(tmp_path, faces):
    """What the capture devices would save: a photo, a fingerprint template file, a signature,
    and a photo too small to print."""
    from ektp.enrollment.tests import biometrics

    rng = np.random.default_rng(2026)
    sample = biometrics.capture(biometrics.new_identity(rng), rng)
    files = {"photo": faces.photo_of(sample.face), "fingers": sample.fingerprints_json().encode(),
             "signature": biometrics.signature_png(), "small": biometrics.png(60, 60)}
    names = {"photo": "wajah.png", "fingers": "sidik.json", "signature": "ttd.png",
             "small": "kecil.png"}
    for key, data in files.items():
        (tmp_path / names[key]).write_bytes(data)
    return {key: tmp_path / name for key, name in names.items()}


def page_errors(errors: list[str]) -> list[str]:
    """Console errors other than Chromium's note that a refused form answered 400 (bad input
    is answered 4xx on purpose, with the form and its messages)."""
    return [e for e in errors if "status of 400" not in e]


def fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_record_a_resident(page, live_server, kupang, capture_files, screenshot_dir,
                           console_errors):
    from ektp.enrollment.models import Enrollment
    from ektp.issuance import rules

    maria = kupang["MARIA GORETI LAKAPU"]
    log_in(page, live_server.url, "perekam.alak")
    page.get_by_role("link", name="Perekaman", exact=True).click()
    page.get_by_label("Pilih penduduk yang akan direkam").press_sequentially("goreti", delay=30)
    page.get_by_role("link", name="Rekam", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Perekaman: MARIA"))).to_be_visible()

    page.get_by_label("Foto wajah").set_input_files(capture_files["small"])
    expect(page.locator("#check-photo")).to_contain_text("minimal 120 piksel")
    page.get_by_label("Foto wajah").set_input_files(capture_files["photo"])
    expect(page.locator("#check-photo")).to_have_text("Memenuhi syarat.")
    page.get_by_label("Berkas templat sidik jari").set_input_files(capture_files["fingers"])
    expect(page.locator("#check-fingerprints")).to_have_text("Memenuhi syarat.")
    page.get_by_label("Tanda tangan").set_input_files(capture_files["signature"])
    expect(page.locator("#check-signature")).to_have_text("Memenuhi syarat.")
    page.get_by_role("button", name="Simpan perekaman").click()
    expect(page.get_by_role("alert").first).to_contain_text("Biodata harus diperiksa")
    assert not Enrollment.objects.filter(resident=maria).exists()  # nothing written

    page.get_by_label(re.compile("membenarkan biodata")).check()
    for label, key in (("Foto wajah", "photo"), ("Berkas templat sidik jari", "fingers"),
                       ("Tanda tangan", "signature")):
        page.get_by_label(label).set_input_files(capture_files[key])
    expect(page.locator("#check-signature")).to_have_text("Memenuhi syarat.")
    page.screenshot(path=screenshot_dir / "recording.png", full_page=True)
    page.set_viewport_size(TABLET)
    fits(page, TABLET["width"])
    page.screenshot(path=screenshot_dir / "recording-tablet.png", full_page=True)
    page.get_by_role("button", name="Simpan perekaman").click()

    expect(page.locator(".messages")).to_contain_text("antrean penunggalan")
    expect(page.get_by_role("heading", name="MARIA GORETI LAKAPU")).to_be_visible()
    application = Enrollment.objects.get(resident=maria).applications.get()
    assert application.status == rules.S_RAC
    assert page_errors(console_errors) == []


def test_adjudicate_a_duplicate(page, live_server, kupang, screenshot_dir, console_errors):
    from ektp.dedup.tests.test_views import doubtful
    from ektp.issuance import rules

    application = doubtful(np.random.default_rng(7), name="ADRIANA BENU")
    log_in(page, live_server.url, "supervisor.kupang")
    page.get_by_role("link", name="Adjudikasi", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Antrean adjudikasi"))).to_be_visible()
    page.get_by_role("row", name=re.compile("ADRIANA BENU")).get_by_role(
        "link", name="Periksa").click()
    expect(page.get_by_role("heading", name=re.compile("Kandidat 1"))).to_be_visible()
    expect(page.locator("tr.differs").first).to_be_visible()
    for image in page.locator("img.portrait").all():  # decrypted on the server, really loaded
        assert image.evaluate(LOADED_WIDTH) > 0
    page.screenshot(path=screenshot_dir / "adjudication.png", full_page=True)

    page.get_by_role("button", name="Simpan keputusan").click()
    expect(page.get_by_text("Pilih keputusan: ganda atau tunggal.")).to_be_visible()
    page.get_by_role("radio", name=re.compile("^Ganda")).check()
    page.get_by_label("Alasan").fill("Wajah sama, nama dan tempat lahir berbeda: rekam ganda.")
    page.set_viewport_size(TABLET)
    fits(page, TABLET["width"])
    page.screenshot(path=screenshot_dir / "adjudication-tablet.png", full_page=True)
    page.get_by_role("button", name="Simpan keputusan").click()
    expect(page.locator(".messages")).to_contain_text("GANDA")
    application.refresh_from_db()
    assert application.status == rules.S_DUP
    assert page_errors(console_errors) == []


@pytest.fixture
def small_print_point(kupang):
    """The kecamatan UPT of Alak with two blanks, a working printer and a queue of three."""
    from ektp.printing.tests.factories import print_point, print_ready, printer, stock

    upt = print_point("UPT-ALAK", "53.71.01")
    printer(upt)
    stock(upt, blanks=2, first=1001)
    ready = [print_ready() for _ in range(2)]  # with YOSEF LAKAPU's: three waiting
    return upt, ready


def test_print_cards_until_the_blanks_run_out(page, live_server, kupang, small_print_point,
                                              screenshot_dir, console_errors):
    from ektp.issuance import rules
    from ektp.issuance.models import Application

    upt, _ = small_print_point
    log_in(page, live_server.url, "pencetak.kupang")
    page.get_by_role("link", name="Cetak", exact=True).click()
    page.get_by_role("row", name=re.compile("UPT-ALAK")).get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("Antrean cetak"))).to_be_visible()
    page.screenshot(path=screenshot_dir / "print-queue.png", full_page=True)
    for left in (1, 0):
        page.locator("#queue").get_by_role("button", name="Cetak").first.click()
        expect(page.locator(".messages")).to_contain_text("sedang dicetak")
        job = page.locator("#printing-now article.job").first
        expect(job.locator("img.card-preview")).to_be_visible()
        assert job.locator("img.card-preview").evaluate(LOADED_WIDTH) > 0
        if left == 1:
            page.screenshot(path=screenshot_dir / "print-card.png", full_page=True)
        job.get_by_role("button", name="Tercetak baik").click()
        expect(page.locator("#stock dl")).to_contain_text(f"Blangko{left}")
    expect(page.locator("#stock").get_by_role("alert")).to_contain_text("Blangko habis")
    expect(page.locator("#queue").get_by_role("button", name="Cetak")).to_be_disabled()
    page.screenshot(path=screenshot_dir / "print-blanks-out.png", full_page=True)
    page.set_viewport_size(TABLET)
    fits(page, TABLET["width"])
    page.screenshot(path=screenshot_dir / "print-queue-tablet.png", full_page=True)
    printed = Application.objects.filter(status=rules.S_PRINTED).count()
    assert printed == 2
    assert console_errors == []


def test_hand_over_a_card_after_the_fingerprint_check(page, live_server, kupang, tmp_path,
                                                      screenshot_dir):
    from ektp.issuance import rules
    from ektp.printing.services import print_job_finish, print_job_start
    from ektp.printing.tests.factories import (
        fingers_of,
        new_identity,
        print_point,
        print_ready,
        printer,
        stock,
    )

    upt = print_point("UPT-ALAK", "53.71.01")
    printer(upt)
    stock(upt, blanks=2, first=1001)
    identity = new_identity()
    application = print_ready(identity=identity)
    job = print_job_start(actor=None, office_id=upt.pk, application_id=application.pk)
    print_job_finish(actor=None, job_id=job.pk)
    wrong, right = tmp_path / "lain.json", tmp_path / "pemilik.json"
    for path, fingers in ((wrong, fingers_of(new_identity())), (right, fingers_of(identity))):
        path.write_text(json.dumps({str(p): v for p, v in fingers.items()}))

    log_in(page, live_server.url, "pencetak.kupang")
    page.goto(f"{live_server.url}/cetak/{upt.pk}/")
    row = page.locator("#handover tbody tr").first
    row.locator("input[type=file]").set_input_files(wrong)
    row.get_by_role("button", name="Verifikasi dan serahkan").click()
    expect(page.locator(".messages")).to_contain_text("TIDAK cocok")
    page.locator("#handover tbody tr").first.locator("input[type=file]").set_input_files(right)
    page.screenshot(path=screenshot_dir / "handover.png", full_page=True)
    page.locator("#handover").get_by_role("button", name="Verifikasi dan serahkan").first.click()
    expect(page.locator(".messages")).to_contain_text("diserahkan")
    application.refresh_from_db()
    assert application.status == rules.S_ISSUED


def test_the_camera_puts_its_photo_into_the_form(browser_type, browser_type_launch_args,
                                                 live_server, kupang, faces, screenshot_dir):
    """Chromium's fake camera stands in for the webcam: the frame taken goes into the photo
    field as a JPEG and is checked like an upload (no face in a test pattern: refused)."""
    fake_camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    browser = browser_type.launch(**{**browser_type_launch_args,
                                     "args": browser_type_launch_args["args"] + fake_camera})
    try:
        page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        log_in(page, live_server.url, "perekam.alak")
        page.goto(f"{live_server.url}/perekaman/{kupang['PETRUS KORBAFO'].pk}/")
        expect(page.get_by_role("button", name="Ambil foto")).to_be_hidden()
        page.get_by_role("button", name="Gunakan kamera").click()
        page.get_by_role("button", name="Ambil foto").click()
        expect(page.locator("#check-photo")).to_contain_text("Tidak ada wajah")
        assert page.eval_on_selector("#id_photo", "input => input.files[0].name") == "kamera.jpg"
        expect(page.locator("canvas.camera-shot")).to_be_visible()
        page.screenshot(path=screenshot_dir / "recording-camera.png", full_page=True)
    finally:
        browser.close()
