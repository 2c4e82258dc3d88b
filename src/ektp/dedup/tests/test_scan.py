"""`ektp dedup scan`: the whole register in bulk. Planted duplicates that bypassed penunggalan
(legacy records put straight in the gallery) are found and clustered; an interrupted scan
resumes to the same result; bad options are refused with a stable code and nothing written."""

import io

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from ektp.dedup import register_index
from ektp.dedup.models import ScanPair
from ektp.dedup.scan import ScanError, ScanOptions, scan_register
from ektp.dedup.services import dedup_run_queue
from ektp.enrollment.tests import biometrics
from ektp.enrollment.tests.factories import PersonFactory, application_of, record
from ektp.issuance import rules
from ektp.issuance.models import Application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_index(settings, tmp_path):
    settings.EKTP_DEDUP_INDEX_DIR = tmp_path / "index"
    register_index.forget()
    yield
    register_index.forget()


@pytest.fixture
def register():
    """Twelve people through penunggalan, one duplicate it caught, and three legacy
    duplicates (one of them recorded twice more: a cluster of three) put straight in the
    gallery, as an import of old records would."""
    rng = np.random.default_rng(99)
    people = [biometrics.new_identity(rng) for _ in range(12)]
    first = [record(PersonFactory(), biometrics.capture(p, rng)) for p in people]
    caught = record(PersonFactory(), biometrics.capture(people[0], rng))
    dedup_run_queue()
    legacy = [record(PersonFactory(), biometrics.capture(people[i], rng)) for i in (3, 5, 5)]
    Application.objects.filter(enrollment__in=legacy).update(status=rules.S_PRR)
    planted = {tuple(sorted((first[i].pk, e.pk))) for i, e in zip((3, 5, 5), legacy,
                                                                    strict=True)}
    planted.add(tuple(sorted((legacy[1].pk, legacy[2].pk))))
    return {"first": first, "caught": caught, "legacy": legacy, "planted": planted}


def duplicate_pairs(out) -> set[tuple[int, int]]:
    pairs = pd.read_csv(out / "pairs.csv")
    duplicates = pairs[pairs["outcome"] == rules.S_DUP]
    return set(zip(duplicates["a"].astype(int), duplicates["b"].astype(int), strict=True))


def test_the_scan_finds_the_planted_duplicates_and_their_clusters(register, tmp_path):
    result = scan_register(tmp_path / "out", options=ScanOptions(batch=4, demographic=False))
    found = duplicate_pairs(tmp_path / "out")
    caught = tuple(sorted((register["first"][0].pk, register["caught"].pk)))
    assert found == register["planted"] | {caught}
    assert result.duplicate_pairs == 5 and result.adjudicate_pairs == 0
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv")
    sizes = sorted(clusters.groupby("cluster").size())
    assert sizes == [2, 2, 3] and result.clusters == 3 and result.clustered_records == 7
    pairs = pd.read_csv(tmp_path / "out" / "pairs.csv")
    assert pairs.set_index(["a", "b"]).loc[caught, "known"]  # penunggalan already linked it
    assert result.new_pairs == 4
    assert not (tmp_path / "out" / "work").exists()  # the checkpoint is gone once done


def test_queue_stores_only_the_new_pairs_once(register, tmp_path):
    result = scan_register(tmp_path / "a", options=ScanOptions(demographic=False, queue=True))
    assert result.queued == 4
    stored = set(ScanPair.objects.values_list("enrollment_a_id", "enrollment_b_id"))
    assert stored == register["planted"]
    assert all(p.face_llr > 0 and p.finger_llr > 0 for p in ScanPair.objects.all())
    again = scan_register(tmp_path / "b", options=ScanOptions(demographic=False, queue=True))
    assert (again.new_pairs, again.queued, ScanPair.objects.count()) == (0, 0, 4)


class Interrupted(Exception):
    pass


def test_an_interrupted_scan_resumes_to_the_same_result(register, tmp_path):
    whole = scan_register(tmp_path / "whole", options=ScanOptions(batch=3, demographic=False))
    steps = []

    def stop_after_two(stage, done, total):
        steps.append(done)
        if len(steps) == 2:
            raise Interrupted

    options = ScanOptions(batch=3, demographic=False)
    with pytest.raises(Interrupted):
        scan_register(tmp_path / "resumed", options=options, progress=stop_after_two)
    work = tmp_path / "resumed" / "work"
    assert len(list(work.glob("pairs-*.csv"))) == 2
    seen = []
    resumed = scan_register(tmp_path / "resumed", options=options,
                            progress=lambda stage, done, total: seen.append(done))
    assert resumed == whole.__class__(**{**whole.__dict__, "out_dir": tmp_path / "resumed"})
    for name in ("pairs.csv", "clusters.csv"):
        assert (tmp_path / "whole" / name).read_text() == (tmp_path / "resumed" / name).read_text()


def test_a_checkpoint_of_another_scan_is_refused(register, tmp_path):
    with pytest.raises(Interrupted):
        scan_register(tmp_path / "out", options=ScanOptions(batch=3, demographic=False),
                      progress=lambda *a: (_ for _ in ()).throw(Interrupted))
    with pytest.raises(ScanError) as caught:
        scan_register(tmp_path / "out", options=ScanOptions(batch=5, demographic=False))
    assert caught.value.code == "checkpoint_mismatch"


def test_the_demographic_pass_joins_the_pairs(register, tmp_path):
    result = scan_register(tmp_path / "out", options=ScanOptions(batch=8))
    assert register["planted"] <= duplicate_pairs(tmp_path / "out")
    assert result.records == 16


@pytest.mark.parametrize(("args", "code"), [
    (["--batch", "0"], "batch_invalid"),
    (["--k", "0"], "k_invalid"),
])
def test_the_command_refuses_bad_options_and_writes_nothing(register, tmp_path, args, code):
    out = tmp_path / "out"
    with pytest.raises(CommandError, match=code):
        call_command("dedup", "scan", "--out", str(out), "--queue", *args, verbosity=0)
    assert not out.exists() and not ScanPair.objects.exists()


def test_the_command_refuses_a_file_as_its_out_folder(register, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(CommandError, match="out_not_a_folder"):
        call_command("dedup", "scan", "--out", str(target), verbosity=0)


def test_the_command_reports_the_clusters(register, tmp_path):
    out = io.StringIO()
    call_command("dedup", "scan", "--out", str(tmp_path / "out"), "--no-demographic",
                 "--queue", stdout=out, verbosity=0)
    text = out.getvalue()
    assert "3 klaster duplikat (7 rekaman)" in text and "4 diantrekan" in text
    assert application_of(register["caught"]).status == rules.S_DUP
