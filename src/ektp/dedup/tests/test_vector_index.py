"""VectorIndex: add/remove/search, exact vs approximate, persistence. Plain pytest, no DB."""

import dataclasses
import os

import numpy as np
import pytest

from ektp.dedup.engine import vector_index
from ektp.dedup.engine.synthetic import FACE, SyntheticPopulation
from ektp.dedup.engine.vector_index import (
    ALL_CORES,
    FLAT,
    HNSW,
    IVF,
    IndexPolicy,
    VectorIndex,
    faiss_threads,
    threads_for,
)

DIM = 16


def random_vectors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


def record_ids(n: int) -> np.ndarray:
    return 1_000_003 + 7 * np.arange(n, dtype=np.int64)  # not row numbers, not contiguous


@pytest.fixture
def index() -> VectorIndex:
    index = VectorIndex(DIM)
    index.add(record_ids(300), random_vectors(300))
    return index


@pytest.fixture(scope="module")
def faces() -> dict:
    """A small synthetic face gallery and new captures of 200 of its people."""
    population = SyntheticPopulation(3_000, seed=3)
    ids, templates = next(population.gallery())
    mates, probes = population.mated_probes(200)
    center = templates[FACE].mean(axis=0)
    return {"ids": ids, "gallery": templates[FACE], "mates": mates, "probes": probes[FACE],
            "center": center}


def test_each_vector_finds_itself_first(index):
    scores, ids = index.search(random_vectors(300), k=3)
    assert (ids[:, 0] == record_ids(300)).all()
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)
    assert (scores[:, 0] >= scores[:, 1]).all()


def test_vectors_are_centred_then_normalised():
    center = np.full(DIM, 5.0, np.float32)
    raw = center + random_vectors(50)
    index = VectorIndex(DIM, center=center)
    index.add(np.arange(50), raw)
    np.testing.assert_allclose(np.linalg.norm(index.vectors(), axis=1), 1.0, atol=1e-5)
    # Without centring every pair would score close to 1; centred, strangers score near 0.
    scores, _ = index.search(raw[:10], k=2)
    assert np.abs(scores[:, 1]).max() < 0.8
    assert (np.sum(index.prepare(raw) * index.vectors(), axis=1) > 0.999).all()


def test_search_pads_when_the_gallery_is_small():
    index = VectorIndex(DIM)
    assert index.search(random_vectors(2), k=4)[1].tolist() == [[-1] * 4] * 2
    index.add([5, 6], random_vectors(2))
    scores, ids = index.search(random_vectors(1, seed=9), k=4)
    assert sorted(ids[0, :2].tolist()) == [5, 6] and ids[0, 2:].tolist() == [-1, -1]
    assert np.isneginf(scores[0, 2:]).all()


def test_score_is_the_exact_dot_product_and_nan_when_absent(index):
    queries = random_vectors(2, seed=5)
    candidates = np.array([[record_ids(300)[4], -1, 42], [record_ids(300)[7]] * 3])
    scores = index.score(queries, candidates)
    expected = index.prepare(queries[:1]) @ index.prepare(random_vectors(300)[4:5]).T
    np.testing.assert_allclose(scores[0, 0], expected[0, 0], rtol=1e-5)
    assert np.isnan(scores[0, 1]) and np.isnan(scores[0, 2])
    assert np.isfinite(scores[1]).all()


def test_duplicates_and_non_finite_vectors_are_refused(index):
    with pytest.raises(ValueError):
        index.add(record_ids(1), random_vectors(1))
    with pytest.raises(ValueError):
        index.add([1, 1], random_vectors(2))
    with pytest.raises(ValueError):
        index.add([1], np.full((1, DIM), np.nan, np.float32))
    assert len(index) == 300


def test_remove_then_add_again(index):
    gone = record_ids(300)[[0, 150, 299]]
    assert index.remove(np.append(gone, 12345)) == 3
    assert len(index) == 297 and not index.contains(gone).any()
    _, ids = index.search(random_vectors(300), k=5)
    assert not np.isin(ids, gone).any()
    assert np.isnan(index.score(random_vectors(1), gone[None, :])).all()
    # The rows that filled the holes still answer for their own ids.
    kept = np.setdiff1d(record_ids(300), gone)
    assert (index.search(random_vectors(300)[np.isin(record_ids(300), kept)], 1)[1][:, 0]
            == kept).all()
    index.add(gone[:1], random_vectors(1, seed=7))
    assert index.search(random_vectors(1, seed=7), 1)[1][0, 0] == gone[0]


def hnsw_policy(**changes) -> IndexPolicy:
    return dataclasses.replace(IndexPolicy(hnsw_from=1_000, ef_search=64), **changes)


def test_kind_follows_size_thresholds(faces):
    index = VectorIndex(128, center=faces["center"], policy=hnsw_policy(ivf_from=2_000))
    index.add(faces["ids"][:900], faces["gallery"][:900])
    assert index.kind == FLAT and not index.needs_reindex
    index.add(faces["ids"][900:1_500], faces["gallery"][900:1_500])
    assert index.needs_reindex
    index.reindex()
    assert index.kind == HNSW and not index.needs_reindex
    index.add(faces["ids"][1_500:], faces["gallery"][1_500:])
    index.reindex()
    assert index.kind == IVF


@pytest.mark.parametrize("kind", [HNSW, IVF])
def test_approximate_search_recall_against_exact(faces, kind):
    index = VectorIndex(128, center=faces["center"], policy=hnsw_policy(ivf_nprobe=16))
    index.add(faces["ids"], faces["gallery"])
    index.reindex(kind)
    assert index.kind == kind
    report = index.measure_recall(faces["probes"], k=10)
    assert report.queries == 200 and report.kind == kind
    assert report.top1_agreement >= 0.95 and report.recall_at_k >= 0.8
    _, ids = index.search(faces["probes"], 10)
    assert (ids == faces["mates"][:, None]).any(1).mean() >= 0.9


def test_approximate_index_takes_updates_and_tombstones(faces):
    index = VectorIndex(128, center=faces["center"], policy=hnsw_policy())
    index.add(faces["ids"][:2_000], faces["gallery"][:2_000])
    index.reindex()
    index.add(faces["ids"][2_000:], faces["gallery"][2_000:])
    new = faces["ids"][2_000:2_050]
    assert (index.search(faces["gallery"][2_000:2_050], 1)[1][:, 0] == new).mean() >= 0.96
    removed = faces["ids"][:400]
    index.remove(removed)
    _, ids = index.search(faces["gallery"][:400], 5)
    assert not np.isin(ids, removed).any()
    assert index.needs_reindex  # 400 of 3,000 nodes are tombstones
    index.reindex()
    assert not index.needs_reindex and len(index) == 2_600


def test_threads_one_for_a_lone_probe_all_for_a_batch():
    policy = IndexPolicy()
    assert threads_for(1, policy) == 1
    assert threads_for(4_096, policy) == ALL_CORES
    before = vector_index.faiss.omp_get_max_threads()
    with faiss_threads(1):
        assert vector_index.faiss.omp_get_max_threads() == 1
    assert vector_index.faiss.omp_get_max_threads() == before


@pytest.mark.parametrize("kind", [FLAT, HNSW])
def test_save_and_load_give_the_same_answers(tmp_path, faces, kind):
    index = VectorIndex(128, center=faces["center"], policy=hnsw_policy())
    index.add(faces["ids"], faces["gallery"])
    index.reindex(kind)
    index.remove(faces["ids"][:10])
    path = tmp_path / "face.npz"
    index.save(path)
    loaded = VectorIndex.load(path)
    assert loaded.kind == kind and len(loaded) == len(index)
    assert loaded.policy == index.policy
    np.testing.assert_array_equal(loaded.center, index.center)
    before, after = index.search(faces["probes"], 5), loaded.search(faces["probes"], 5)
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_allclose(before[0], after[0])
    loaded.add([10**12], faces["probes"][:1])  # still updatable after loading
    assert loaded.search(faces["probes"][:1], 1)[1][0, 0] == 10**12


def test_a_crash_mid_save_leaves_the_old_file_intact(tmp_path, index, monkeypatch):
    path = tmp_path / "face.npz"
    index.save(path)
    expected = VectorIndex.load(path).search(random_vectors(20), 3)

    def crash(f, **arrays):
        f.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")

    index.remove(record_ids(300)[:100])
    monkeypatch.setattr(vector_index.np, "savez", crash)
    with pytest.raises(OSError):
        index.save(path)
    monkeypatch.undo()
    reloaded = VectorIndex.load(path)
    assert len(reloaded) == 300
    np.testing.assert_array_equal(reloaded.search(random_vectors(20), 3)[1], expected[1])
    assert os.listdir(tmp_path) == ["face.npz"]  # no temporary file left behind
