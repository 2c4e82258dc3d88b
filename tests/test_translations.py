"""The English catalogue is complete and compiled: a string added to a page or a model without
``make messages`` (and a translation) fails here, not in front of an operator."""

import contextlib
import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

import ektp

PACKAGE = Path(ektp.__file__).resolve().parent
CATALOGUE = PACKAGE / "locale" / "en" / "LC_MESSAGES"
# What `make messages` leaves out: tests, migrations, and the Django-free dedup engine.
NOT_SCANNED = shutil.ignore_patterns("locale", "tests", "tests_browser", "migrations", "engine",
                                     "__pycache__", "static")

needs_gettext = pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgfmt")),
    reason="gettext is missing (scripts/ensure_chromium.sh installs it)")


def _msgids(po_file: Path) -> set[str]:
    flat = subprocess.run(["msgcat", "--no-wrap", str(po_file)], capture_output=True, text=True,
                          check=True).stdout
    return set(re.findall(r'^msgid "(.+)"$', flat, re.M))


def _catalog(mo_file: Path) -> dict:
    with mo_file.open("rb") as handle:
        entries = dict(gettext.GNUTranslations(handle)._catalog)
    entries.pop("", None)  # the header
    return entries


@needs_gettext
def test_the_catalogue_holds_every_string_of_the_code(tmp_path, settings):
    tree = tmp_path / "ektp"
    shutil.copytree(PACKAGE, tree, ignore=NOT_SCANNED)
    (tree / "locale").mkdir()
    settings.LOCALE_PATHS = [tree / "locale"]
    with contextlib.chdir(tree):
        call_command("makemessages", locale=["en"], no_location=True, verbosity=0)
    fresh = _msgids(tree / "locale" / "en" / "LC_MESSAGES" / "django.po")
    missing = fresh - _msgids(CATALOGUE / "django.po")
    assert not missing, "run `make messages`, translate, then `make compile-messages`"


@needs_gettext
def test_every_entry_is_translated_and_the_mo_is_compiled(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled),
                    str(CATALOGUE / "django.po")], check=True)
    assert _catalog(compiled) == _catalog(CATALOGUE / "django.mo"), "make compile-messages"
    untranslated = subprocess.run(["msgattrib", "--untranslated", str(CATALOGUE / "django.po")],
                                  capture_output=True, text=True, check=True).stdout
    assert "msgid" not in untranslated
