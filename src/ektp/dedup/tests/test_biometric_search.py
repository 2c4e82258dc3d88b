"""The 1:N pipeline, the synthetic population and a small run of the benchmark. No DB."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from ektp.dedup.engine.biometric_search import (
    CONCATENATED,
    FINGERS,
    PER_POSITION,
    BiometricSearch,
    ModalitySpec,
    SearchConfig,
)
from ektp.dedup.engine.fusion import fuse
from ektp.dedup.engine.synthetic import (
    FACE,
    LEFT_INDEX,
    RIGHT_INDEX,
    ModalityModel,
    SyntheticPopulation,
)
from ektp.dedup.engine.vector_index import HNSW, IndexPolicy

BENCH = Path(__file__).resolve().parents[4] / "bench" / "dedup" / "biometric.py"


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.fixture(scope="module")
def population() -> SyntheticPopulation:
    return SyntheticPopulation(3_000, seed=5)


@pytest.fixture(scope="module")
def gallery(population) -> dict:
    ids, templates = next(population.gallery())
    return {"ids": ids, **templates}


def make_search(population, gallery, layout=PER_POSITION, policy=None) -> BiometricSearch:
    specs = [ModalitySpec(FACE, 128, gallery[FACE].mean(axis=0)),
             ModalitySpec(RIGHT_INDEX, 128, is_finger=True),
             ModalitySpec(LEFT_INDEX, 128, is_finger=True)]
    search = BiometricSearch(specs, SearchConfig(k=10, finger_layout=layout,
                                                 policy=policy or IndexPolicy()))
    search.enrol(gallery["ids"], {m: gallery[m] for m in population.modalities})
    search.reindex()
    _, nonmated = population.nonmated_probes(300, stream=1)
    mates, mated = population.mated_probes(300, stream=1)
    search.calibrate(mated, mates, nonmated)
    return search


@pytest.fixture(scope="module")
def search(population, gallery) -> BiometricSearch:
    return make_search(population, gallery)


@pytest.fixture(scope="module")
def probes(population) -> tuple[np.ndarray, dict]:
    return population.mated_probes(300, stream=0)


def test_synthetic_scores_resemble_dlib(population, gallery):
    mates, probes = population.mated_probes(500)
    _, strangers = population.nonmated_probes(500)
    face = gallery[FACE]
    assert cosine(probes[FACE], face[mates]).mean() == pytest.approx(0.94, abs=0.02)
    assert cosine(strangers[FACE], face[:500]).mean() == pytest.approx(0.80, abs=0.01)
    finger = gallery[RIGHT_INDEX]
    present = np.isfinite(probes[RIGHT_INDEX]).all(1) & np.isfinite(finger[mates]).all(1)
    assert np.median(cosine(probes[RIGHT_INDEX], finger[mates])[present]) > 0.6


def test_synthetic_population_is_deterministic_chunk_by_chunk():
    a = SyntheticPopulation(40_000, seed=2)
    whole = np.vstack([t[FACE] for _, t in a.gallery()])
    ids, part = next(a.gallery(20_000, 20_010))
    assert ids.tolist() == list(range(20_000, 20_010))
    np.testing.assert_array_equal(part[FACE], whole[20_000:20_010])
    assert ModalityModel(genuine=0.75).noise == pytest.approx(np.sqrt(1 / 3))


def test_mates_are_found_and_ranked_first(search, probes):
    mates, mated = probes
    result = search.identify(mated)
    assert (result.rank_of(mates) >= 0).mean() >= 0.99
    assert (result.rank_of(mates) == 0).mean() >= 0.97
    assert (result.fused[:, :-1] >= result.fused[:, 1:]).all()  # best first
    assert set(result.scores) == {FACE, RIGHT_INDEX, LEFT_INDEX}


def test_candidates_are_a_union_without_repeats(search, probes):
    ids = search.candidates(probes[1])
    assert ids.shape == (300, 3 * 10)
    for row in ids:
        real = row[row >= 0]
        assert len(real) == len(set(real.tolist())) >= 10


def test_a_missing_modality_adds_nothing(search, probes):
    mates, mated = probes
    no_face = {**mated, FACE: np.full_like(mated[FACE], np.nan)}
    result = search.identify(no_face)
    assert np.isnan(result.scores[FACE][result.ids >= 0]).all()
    assert (result.rank_of(mates) >= 0).mean() >= 0.98
    fingers = {m: search.calibrations[m].llr(result.scores[m]) for m in (RIGHT_INDEX, LEFT_INDEX)}
    real = result.ids >= 0
    np.testing.assert_allclose(result.fused[real], fuse(fingers)[real])


def test_fused_ranks_the_mate_first_at_least_as_often_as_each_modality(search, probes):
    mates, mated = probes
    fused = (search.identify(mated).rank_of(mates) == 0).mean()
    face = (search.identify(mated, [FACE], [FACE]).rank_of(mates) == 0).mean()
    fingers = search.identify(mated, [RIGHT_INDEX, LEFT_INDEX], [RIGHT_INDEX, LEFT_INDEX])
    assert fused >= max(face, (fingers.rank_of(mates) == 0).mean())


def test_removed_records_are_no_longer_candidates(population, gallery, probes):
    search = make_search(population, gallery)
    mates, mated = probes
    search.remove(mates[:50])
    assert not np.isin(search.identify(mated).ids[:50], mates[:50]).any()


def test_concatenated_fingers_layout(population, gallery, probes):
    search = make_search(population, gallery, CONCATENATED)
    assert search.sources == [FACE, FINGERS]
    mates, mated = probes
    assert (search.identify(mated).rank_of(mates) >= 0).mean() >= 0.99


def test_approximate_sources(population, gallery, probes):
    search = make_search(population, gallery, policy=IndexPolicy(hnsw_from=1_000, ef_search=64))
    assert {search.source(s).kind for s in search.sources} == {HNSW}
    mates, mated = probes
    assert (search.identify(mated).rank_of(mates) >= 0).mean() >= 0.99


def test_save_and_load_give_the_same_identifications(tmp_path, search, probes):
    search.save(tmp_path / "gallery")
    loaded = BiometricSearch.load(tmp_path / "gallery")
    before, after = search.identify(probes[1]), loaded.identify(probes[1])
    np.testing.assert_array_equal(before.ids, after.ids)
    np.testing.assert_allclose(before.fused, after.fused)


def test_benchmark_small_run_is_correct(capsys):
    spec = importlib.util.spec_from_file_location("bench_biometric", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = bench.main(["--gallery", "5000", "--probes", "500", "--latency-probes", "5",
                          "--peer-probes", "200", "--hnsw-from", "2000", "--ef-search", "64"])
    assert "FNIR @ FPIR 0.1%" in capsys.readouterr().out
    rows = results["accuracy"]
    assert rows["fused"]["found"] >= 0.99 and rows["fused"]["mated"] == 500
    assert results["exact_found"] >= 0.99
    for fpir in (0.001, 0.003):
        fused = rows["fused"]["det"][fpir]["fnir"]
        assert fused <= min(rows["face alone"]["det"][fpir]["fnir"],
                            rows["fingers alone"]["det"][fpir]["fnir"])
    assert results["speed"]["ektp"] > 0  # measured, never asserted against a target
