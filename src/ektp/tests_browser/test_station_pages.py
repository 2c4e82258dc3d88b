"""A kelurahan print point working as a station, driven like its operator would: the station
page, the print-ready records it holds, one printed offline (its blank taken from the
station's stock), and the card's PDF. Screenshots: station.png, station-print.png."""

import re

import pytest
from playwright.sync_api import expect

from ektp.tests_browser.test_operator_pages import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def print_point_station(kupang, settings, tmp_path):
    """This process as a print point registered with central (the Dinas of the kupang
    fixture), holding the record central made print-ready; then switched to the station role
    (the live server runs in this process, so it serves the station's pages)."""
    from ektp.enrollment.tests.factories import UserFactory
    from ektp.stations.client import SyncClient
    from ektp.stations.tests.in_process_sync import PASSWORD, CentralInProcess, register_station

    settings.EKTP_STATION_KEY_FILE = str(tmp_path / "station.pem")
    settings.EKTP_CENTRAL_KEY_FILE = str(tmp_path / "central.pem")
    settings.EKTP_CENTRAL_BOX_KEY_FILE = str(tmp_path / "central-box.pem")
    settings.EKTP_STATION_MIN_FREE_MB = 1
    admin = UserFactory(role="central_admin", region_id=None, password=PASSWORD)
    register_station(admin, office_code="DINAS-5371")
    settings.EKTP_ROLE = "station"
    SyncClient(CentralInProcess()).sync()
    return kupang["YOSEF LAKAPU"]


def test_print_a_held_record_offline_and_open_its_card(page, live_server, print_point_station,
                                                       screenshot_dir, console_errors):
    from ektp.stations.models import OutboxPacket, PrefetchedRecord

    yosef = print_point_station
    log_in(page, live_server.url, "pencetak.kupang")
    page.goto(f"{live_server.url}/stasiun/")
    expect(page.get_by_role("heading", name=re.compile("Stasiun KPG-ALAK-01"))).to_be_visible()
    page.screenshot(path=screenshot_dir / "station.png", full_page=True)
    page.get_by_role("link", name="Cetak di stasiun", exact=True).click()
    row = page.get_by_role("row", name=re.compile(yosef.name))
    expect(row).to_contain_text("Siap cetak")
    row.get_by_role("button", name="Cetak").click()
    expect(page.locator(".messages")).to_contain_text("dicetak pada blangko KTP25-0000001")
    expect(row).to_contain_text("Tercetak")
    page.screenshot(path=screenshot_dir / "station-print.png", full_page=True)
    href = row.get_by_role("link", name="Kartu (PDF)").get_attribute("href")
    card = page.request.get(live_server.url + href)
    assert card.headers["content-type"] == "application/pdf"
    assert card.body().startswith(b"%PDF")
    assert PrefetchedRecord.objects.get().state == "printed"
    kinds = sorted(OutboxPacket.objects.values_list("kind", flat=True))
    assert kinds == ["print_result", "stock_movement", "stock_movement", "stock_movement"]
    assert console_errors == []
