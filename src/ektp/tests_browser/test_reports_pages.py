"""The head of office's report pages in Chromium: the dashboard with its charts drawn by the
vendored Chart.js under the CSP (no console error), the forecast with a what-if, and the
monthly PDF. Screenshots for the docs: dashboard.png, forecast.png, monthly-report.png."""

import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ektp.tests_browser.conftest import REPO
from ektp.tests_browser.test_operator_pages import log_in

pytestmark = pytest.mark.django_db(transaction=True)

BENCH = REPO / "bench" / "reports" / "dashboard.py"


@pytest.fixture
def register(monkeypatch, live_server):
    """A small synthetic Kota Kupang (the benchmark's generator) and the demo accounts."""
    from ektp.demo.operators import ensure_demo_users
    from ektp.reports.services import rollup_refresh
    from ektp.tests_browser.conftest import DEMO_PASSWORD

    monkeypatch.setenv("EKTP_DEMO_PASSWORD", DEMO_PASSWORD)
    ensure_demo_users()
    spec = importlib.util.spec_from_file_location("bench_reports_dashboard", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.build_register(4000, seed=11)
    bench.build_operations(blanks=600)
    rollup_refresh(region_code=bench.KUPANG)


def _charts_drawn(page) -> int:
    page.wait_for_function("window.Chart && Object.keys(window.Chart.instances).length > 0")
    return page.evaluate("Object.keys(window.Chart.instances).length")


def test_dashboard_and_forecast_draw_their_charts(page, live_server, register, screenshot_dir,
                                                  console_errors):
    log_in(page, live_server.url, "kadis.kupang")
    page.get_by_role("link", name="Laporan", exact=True).click()
    expect(page.get_by_role("heading", name="Laporan kepala dinas")).to_be_visible()
    assert _charts_drawn(page) == 3
    page.screenshot(path=screenshot_dir / "dashboard.png", full_page=True)

    page.get_by_role("link", name="Cakupan", exact=True).click()
    page.get_by_role("link", name="Alak").click()
    expect(page.locator("table.report tbody tr").first).to_be_visible()
    assert "region=53.71.01" in page.url

    page.goto(f"{live_server.url}/laporan/perkiraan/")
    target = timezone.localdate() + timedelta(days=120)
    page.get_by_label("Tambahan blangko").fill("20000")
    page.get_by_label("Target selesai").fill(target.isoformat())
    page.get_by_role("button", name="Hitung ulang").click()
    expect(page.locator("[data-target-met]")).to_be_visible()
    assert _charts_drawn(page) == 1
    page.screenshot(path=screenshot_dir / "forecast.png", full_page=True)
    assert console_errors == []


def test_monthly_report_pdf(page, live_server, register, screenshot_dir):
    import pypdfium2

    log_in(page, live_server.url, "kadis.kupang")
    response = page.request.get(f"{live_server.url}/laporan/bulanan.pdf")
    assert response.ok and response.body().startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(response.body())
    assert len(pdf) >= 3
    pdf[0].render(scale=1.3).to_pil().save(Path(screenshot_dir) / "monthly-report.png")
