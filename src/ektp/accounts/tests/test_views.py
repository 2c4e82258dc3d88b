"""The home page per role, login, logout and the lockout after repeated failures."""

from datetime import date, timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from ektp.accounts import rules as roles
from ektp.enrollment.tests.factories import (
    ALAK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    PersonFactory,
    application_of,
    move,
    record,
    user,
)
from ektp.issuance import rules as issuance_rules
from ektp.printing.tests.factories import print_point, printer, stock
from ektp.residents import reference
from ektp.residents.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HOME = reverse("home")
LOGIN = reverse("login")
PASSWORD = "rahasia-kupang-2026"  # the UserFactory's


def _home(client, operator):
    client.force_login(operator)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


# --- permission matrix ------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_no_role_sees_no_data_and_how_to_get_a_role(client):
    PersonFactory(name="MARIA BELUM REKAM")
    page = _home(client, user("", KOTA_KUPANG)).content.decode()
    assert "belum diberi peran" in page
    assert "MARIA BELUM REKAM" not in page


def test_recording_operator_of_another_region_sees_none_of_alak(client):
    PersonFactory(name="MARIA BELUM REKAM")
    page = _home(client, user(roles.RECORDING_OPERATOR, KOTA_DEPOK)).content.decode()
    assert "MARIA BELUM REKAM" not in page


def test_recording_operator_sees_who_waits_and_their_recordings(client):
    operator = user(roles.RECORDING_OPERATOR, ALAK)
    PersonFactory(name="MARIA BELUM REKAM")
    recorded = PersonFactory(name="YOSEF SUDAH REKAM")
    record(recorded, actor=operator)
    response = _home(client, operator)
    waiting = [r.name for r in response.context["sections"]["recording"]["waiting"]]
    recent = response.context["sections"]["recording"]["recent"]
    assert waiting == ["MARIA BELUM REKAM"]
    assert [e.resident.name for e in recent] == ["YOSEF SUDAH REKAM"]
    assert recorded.nik not in response.content.decode()  # masked


def test_unmarried_children_are_not_waiting_for_a_recording(client):
    PersonFactory(name="ANAK KECIL", birth_date=date.today() - timedelta(days=365 * 10),
                  marital_status=reference.BELUM_KAWIN)
    response = _home(client, user(roles.RECORDING_OPERATOR, ALAK))
    assert response.context["sections"]["recording"]["waiting_count"] == 0


def test_print_operator_sees_queue_and_stock_of_their_office(client):
    office = print_point()
    printer(office)
    stock(office, blanks=3)
    application = application_of(record(PersonFactory()))
    move(application, issuance_rules.S_PRR)
    print_point("DINAS-3276", KOTA_DEPOK)
    response = _home(client, user(roles.PRINT_OPERATOR, KOTA_KUPANG))
    rows = response.context["sections"]["printing"]["offices"]
    assert [(r["office"].code, r["waiting"], r["stock"]["blank"]["quantity"], r["printers"])
            for r in rows] == [("DINAS-5371", 1, 3, 1)]


def test_supervisor_sees_the_adjudication_queue(client):
    application = application_of(record(PersonFactory()))
    move(application, issuance_rules.S_ADJ)
    assert _home(client, user(roles.SUPERVISOR)).context["sections"]["adjudication"][
        "count"] == 1
    assert _home(client, user(roles.SUPERVISOR, KOTA_DEPOK)).context["sections"][
        "adjudication"]["count"] == 0


def test_stock_keeper_sees_low_stock_flags(client):
    empty, stocked = print_point("DINAS-5371"), print_point("UPT-537101", ALAK)
    stock(stocked, blanks=5)
    response = _home(client, user(roles.STOCK_KEEPER))
    rows = {r["office"].code: r["low"] for r in response.context["sections"]["stock"]["offices"]}
    assert rows == {empty.code: True, stocked.code: False}
    assert "menipis" in response.content.decode()


def test_head_of_office_sees_headline_numbers(client):
    PersonFactory()
    record(PersonFactory())
    figures = _home(client, user(roles.HEAD_OF_OFFICE)).context["sections"]["headline"]
    assert (figures["total"], figures["wajib"], figures["recorded"], figures["not_recorded"]) \
        == (2, 2, 1, 1)
    assert figures["coverage"] == 50.0


def test_central_admin_sees_every_section(client):
    admin = user(roles.CENTRAL_ADMIN, None)
    sections = _home(client, admin).context["sections"]
    assert set(sections) == {"headline", "recording", "adjudication", "printing", "stock"}


# --- queries ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role, region, queries", [
    (roles.RECORDING_OPERATOR, ALAK, 3 + 3),
    (roles.PRINT_OPERATOR, KOTA_KUPANG, 3 + 4),
    (roles.STOCK_KEEPER, KOTA_KUPANG, 3 + 3),
    (roles.HEAD_OF_OFFICE, KOTA_KUPANG, 3 + 4),
    (roles.SUPERVISOR, KOTA_KUPANG, 3 + 1),
    (roles.CENTRAL_ADMIN, None, 2 + 4 + 3 + 1 + 4 + 3),
])
def test_home_queries_are_pinned_whatever_the_rows(client, django_assert_num_queries,
                                                   role, region, queries):
    """Session, user and the region in the top bar (none for the whole country), then a fixed
    number per section: lists and offices are read together, never one query per row."""
    operator = user(role, region)
    for first, code in ((1, "DINAS-5371"), (100, "UPT-537101")):
        stock(print_point(code), blanks=2, first=first)
    for _ in range(12):
        record(PersonFactory(), actor=operator)
        PersonFactory()
    client.force_login(operator)
    with django_assert_num_queries(queries):
        assert client.get(HOME).status_code == 200


# --- login, logout, lockout -------------------------------------------------------------------

def test_login_page_is_in_indonesian_with_csrf(client):
    page = client.get(LOGIN).content.decode()
    assert "Masuk ke layanan KTP-el" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_login_with_the_right_password_goes_home(client):
    UserFactory(username="perekam", role=roles.RECORDING_OPERATOR, region_id=ALAK)
    response = client.post(LOGIN, {"username": "perekam", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, HOME)


def test_passwords_are_hashed_with_argon2():
    operator = UserFactory()
    assert operator.password.startswith("argon2")


def _fail(client, username="perekam"):
    return client.post(LOGIN, {"username": username, "password": "salah-sekali"})


def test_five_failures_lock_the_account_with_a_clear_message(client):
    UserFactory(username="perekam")
    for _ in range(4):
        assert _fail(client).status_code == 200
    locked = _fail(client)
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Akun dikunci sementara" in page and "15 menit" in page
    # Locked: even the right password is refused, and no session is opened.
    right = client.post(LOGIN, {"username": "perekam", "password": PASSWORD})
    assert right.status_code == 429
    assert client.get(HOME).status_code == 302


def test_lockout_is_per_username_and_ends_after_the_cool_off(client):
    UserFactory(username="perekam")
    UserFactory(username="pencetak")
    for _ in range(5):
        _fail(client)
    colleague = client.post(LOGIN, {"username": "pencetak", "password": PASSWORD})
    assert colleague.status_code == 302  # same computer, another username: not locked
    client.post(reverse("logout"))
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - timedelta(minutes=16))
    again = client.post(LOGIN, {"username": "perekam", "password": PASSWORD})
    assert again.status_code == 302


def test_logout_needs_a_post(client):
    client.force_login(UserFactory())
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout"))["Location"] == LOGIN
    assert client.get(HOME).status_code == 302
