import re

import pytest
from django.core.management import call_command

from ektp.demo.builder import typo
from ektp.demo.models import PlantedDuplicate
from ektp.issuance.models import Application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_password(monkeypatch):
    monkeypatch.setenv("EKTP_DEMO_PASSWORD", "demo-test-password")


def test_small_demo_finds_every_planted_duplicate_and_no_false_one(capsys):
    call_command("demo", residents=150, seed=7, duplicate_rate=0.08, verbosity=0)
    out = capsys.readouterr().out
    planted = set(PlantedDuplicate.objects.values_list("duplicate_id", flat=True))
    assert len(planted) >= 5
    flagged = set(Application.objects.filter(
        status__in=["DUPLICATE_RECORD", "ADJUDICATE_RECORD"]).values_list("resident_id", flat=True))
    duplicates = set(Application.objects.filter(status="DUPLICATE_RECORD")
                     .values_list("resident_id", flat=True))
    assert duplicates == planted
    assert flagged == planted
    assert re.search(rf"Duplikat ditemukan\s+{len(planted)}\n", out)
    assert re.search(r"Duplikat keliru\s+0\n", out)
    assert "login admin /" in out


def test_demo_prints_until_blanks_run_out_then_issues_certificates(capsys):
    from ektp.issuance.models import TemporaryCertificate
    from ektp.printing.models import PrintJob
    from ektp.supplies.models import BlankCard

    call_command("demo", residents=120, seed=11, verbosity=0)
    out = capsys.readouterr().out
    assert "berhenti: blank_out" in out
    # The print run used every blank; only the printing drive's delivery, which comes after
    # it (serials DRV...), is on the shelves again.
    in_stock = BlankCard.objects.filter(status="in_stock")
    assert in_stock.exists() and not in_stock.exclude(serial__startswith="DRV").exists()
    printed = PrintJob.objects.filter(status="printed").count()
    assert printed == BlankCard.objects.filter(status="used").count() > 0
    waiting = Application.objects.filter(status="PRINT_READY_RECORD")
    assert waiting.exists()
    assert TemporaryCertificate.objects.filter(application__in=waiting,
                                               status="active").count() == waiting.count()
    # Cards handed over after a 1:1 check supersede nothing (they had no certificate) and
    # are CARD_ISSUED; the broken printer and the kecamatan without a kit are reported.
    assert Application.objects.filter(status="CARD_ISSUED").exists()
    assert re.search(r"DINAS-5371 +3/4", out)
    assert "Kecamatan tanpa alat rekam berfungsi: Alak" in out


def test_running_the_demo_again_builds_nothing_twice(capsys):
    call_command("demo", residents=40, seed=3, verbosity=0)
    before = Application.objects.count()
    call_command("demo", residents=40, seed=3, verbosity=0)
    assert Application.objects.count() == before
    assert "sudah ada" in capsys.readouterr().out


@pytest.mark.parametrize("seed", range(20))
def test_typo_changes_exactly_one_word_slightly(seed):
    import random

    name = "YOHANES BENEDIKTUS NDOLU"
    changed = typo(name, random.Random(seed))
    differing = [(a, b) for a, b in zip(name.split(), changed.split(), strict=True) if a != b]
    assert len(differing) == 1
    original, misspelt = differing[0]
    assert abs(len(original) - len(misspelt)) <= 1
