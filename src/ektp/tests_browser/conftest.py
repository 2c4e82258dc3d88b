"""Browser tests: pytest-playwright driving Debian's Chromium against Django's live server.

Playwright's own browser download cannot work here (only package registries are reachable),
so the tests launch /usr/bin/chromium (``scripts/ensure_chromium.sh`` installs it) and skip
with a clear message only where it is missing.
"""

import os
from pathlib import Path

import pytest

# pytest-playwright's sync API runs an event loop in the test thread; Django would otherwise
# refuse the ORM calls the tests make to set up data and read the audit log.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[3]
# Quiet, offline Chromium: no GPU in a container, no calls home, no updates, no sync.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DEMO_PASSWORD = "uji-browser-2026"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.skip("browser tests skipped: /usr/bin/chromium is missing "
                    "(run scripts/ensure_chromium.sh as root, or apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The office laptop the issue names; the tests switch to a tablet where they need one.
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}}


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """Where screenshots go: docs/screenshots with ``make screenshots`` (the README shows
    them), a temporary folder otherwise, so a test run leaves the work tree clean."""
    chosen = os.environ.get("EKTP_SCREENSHOT_DIR")
    folder = REPO / chosen if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def console_errors(page) -> list[str]:
    """Errors the page reports (a CSP violation, a missing asset): a test ends with none."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def kupang(monkeypatch, live_server):
    """The demo's operators (one per role, same password) and a small Kupang office: residents
    of Alak waiting for a recording, one recorded by perekam.alak, a PRR in the print queue,
    a doubtful match waiting for adjudication, and the Dinas with a printer and some blanks."""
    from ektp.accounts.models import User
    from ektp.demo.operators import ensure_demo_users
    from ektp.enrollment.tests.factories import PersonFactory, application_of, move, record
    from ektp.issuance import rules
    from ektp.printing.tests.factories import print_point, printer, stock

    monkeypatch.setenv("EKTP_DEMO_PASSWORD", DEMO_PASSWORD)
    ensure_demo_users()
    recorder = User.objects.get(username="perekam.alak")
    people = {name: PersonFactory(name=name) for name in (
        "MARIA GORETI LAKAPU", "YOSEF LAKAPU", "AGUSTINA NDOEN", "PETRUS KORBAFO")}
    for n in range(22):
        PersonFactory(name=f"KRISTOFORUS LAKAPU {chr(65 + n)}")
    move(application_of(record(people["YOSEF LAKAPU"], actor=recorder)), rules.S_PRR)
    move(application_of(record(people["AGUSTINA NDOEN"], actor=recorder)), rules.S_ADJ)
    dinas = print_point()
    printer(dinas)
    stock(dinas, blanks=40)
    return people
