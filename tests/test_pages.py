"""What every operator page shares: the CSP, no inline script or style, the language (Indonesian
unless switched), vendored htmx, and the error pages."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views import defaults

from ektp.accounts import rules as roles
from ektp.enrollment.tests.factories import ALAK, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(user(roles.RECORDING_OPERATOR, ALAK))
    return client


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize("name", ["home", "resident_search"])
def test_no_inline_script_or_style_and_htmx_is_served_by_the_app(operator_client, name):
    page = operator_client.get(reverse(name)).content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all('src="/static/' in tag for tag in scripts)
    assert "htmx-2.min.js" in page
    assert "<style" not in page and " style=" not in page
    assert "http://" not in page and "https://" not in page  # nothing from the internet


def test_the_vendored_htmx_file_is_found(client):
    from django.contrib.staticfiles import finders

    assert finders.find("django_htmx/htmx-2.min.js")
    assert finders.find("ektp/app.css")


def test_every_form_carries_a_csrf_token(operator_client):
    for name in ("home", "resident_search"):
        page = operator_client.get(reverse(name)).content.decode()
        forms = re.findall(r"<form\b.*?</form>", page, re.S)
        assert forms
        assert all("csrfmiddlewaretoken" in form for form in forms if 'method="post"' in form)


def test_indonesian_is_the_default_whatever_the_browser_says(operator_client):
    page = operator_client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "id"
    assert "Beranda" in page.content.decode()


def test_the_language_switch_turns_english_on_and_off(operator_client):
    switched = operator_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302
    english = operator_client.get(reverse("home")).content.decode()
    assert "Home" in english and "Not yet recorded" in english
    operator_client.post(reverse("set_language"), {"language": "id", "next": "/"})
    assert "Belum rekam" in operator_client.get(reverse("home")).content.decode()


def test_a_missing_page_answers_the_indonesian_404(operator_client):
    response = operator_client.get("/tidak-ada/")
    assert response.status_code == 404
    assert "Tidak ditemukan" in response.content.decode()


def test_the_500_page_renders_without_a_database_or_a_user():
    request = RequestFactory().get("/")
    response = defaults.server_error(request)
    assert response.status_code == 500
    assert "Terjadi kesalahan pada sistem" in response.content.decode()


def test_a_form_without_its_csrf_token_is_refused_with_a_clear_page(operator_client):
    operator_client.handler.enforce_csrf_checks = True
    response = operator_client.post(reverse("resident_search"), {"q": "MARIA"})
    assert response.status_code == 403
    assert "Formulir kedaluwarsa" in response.content.decode()


def test_suket_verify_page_keeps_working_under_the_csp(client):
    page = client.get(reverse("suket_verify")).content.decode()
    assert "<style" not in page
    assert "issuance/suket_verify.css" in page
