"""Project-wide checks: the startup check, the database settings, the API docs, the CLI."""

import subprocess
import sys

import pytest
from django.core.checks import Error

from ektp import checks
from ektp import settings as project_settings


def _ids(problems):
    return {p.id for p in problems}


def test_production_with_the_development_key_is_refused(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = project_settings.DEV_SECRET_KEY
    problems = checks.configuration(None)
    assert "ektp.E001" in _ids(problems)
    assert all(isinstance(p, Error) for p in problems if p.id == "ektp.E001")


def test_a_safe_configuration_passes(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 50
    settings.EKTP_BIOMETRIC_KEY = "A" * 44
    assert checks.configuration(None) == []


@pytest.mark.parametrize("name, value, error", [
    ("EKTP_ROLE", "kiosk", "ektp.E002"),
    ("EKTP_FACE_MATCH_DISTANCE", 0.9, "ektp.E003"),
    ("EKTP_FINGER_MATCH_SCORE", 0.1, "ektp.E004"),
])
def test_inconsistent_settings_are_errors(settings, name, value, error):
    setattr(settings, name, value)
    assert error in _ids(checks.configuration(None))


def test_missing_biometric_key_outside_debug_is_a_warning(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 50
    settings.EKTP_BIOMETRIC_KEY = ""
    assert _ids(checks.configuration(None)) == {"ektp.W001"}


def test_sqlite_gets_wal_and_immediate_transactions(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    config = project_settings.database_config()
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_postgres_url_is_honoured(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example:5432/ektp")
    config = project_settings.database_config()
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["NAME"]) == ("db.example", "ektp")


@pytest.mark.django_db
def test_openapi_schema_builds_and_lists_every_router(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for prefix in ("/api/regions", "/api/residents", "/api/enrollments", "/api/applications",
                   "/api/adjudication", "/api/print", "/api/devices", "/api/supplies",
                   "/api/certificates"):
        assert any(path.startswith(prefix) for path in paths), prefix


@pytest.mark.django_db
def test_api_docs_load_their_assets_from_this_server(client):
    page = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn." not in page


def test_the_ektp_command_runs_django_commands():
    result = subprocess.run([sys.executable, "-m", "ektp.cli", "help", "regions"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "load" in result.stdout and "search" in result.stdout
