"""The sharded compressed gallery (IVF-PQ shards, merged top k) against exact search."""

import faiss
import numpy as np
import pytest

from ektp.dedup.engine.sharded_index import (
    ShardedIndex,
    ShardPolicy,
    exact_topk,
    merge_topk,
    prepare,
)
from ektp.dedup.engine.synthetic import FACE, SyntheticPopulation

# No test database: the SQLite pass of `make test` runs it, the PostgreSQL pass skips it.
pytestmark = pytest.mark.once

SIZE = 20_000


@pytest.fixture(scope="module")
def population():
    pop = SyntheticPopulation(SIZE, seed=3)
    ids, templates = zip(*[(i, t[FACE]) for i, t in pop.gallery()], strict=True)
    ids, vectors = np.concatenate(ids), np.concatenate(templates)
    return pop, ids, vectors, vectors[:5_000].mean(axis=0)


@pytest.fixture(scope="module")
def index(population):
    _, ids, vectors, center = population
    built = ShardedIndex(128, ShardPolicy(shards=3, pq_bytes=32, nprobe=64), center=center)
    built.train(vectors, expected_size=len(ids))
    assert built.add(ids, vectors) == len(ids)
    return built


def test_shards_split_the_gallery_by_id(index):
    sizes = index.shard_sizes()
    assert len(sizes) == 3 and sum(sizes) == SIZE == len(index)
    assert max(sizes) - min(sizes) <= 1
    assert index.code_bytes() == SIZE * (32 + 8)


def test_recall_against_exact_search_and_mates_found(population, index):
    pop, ids, vectors, center = population
    mates, probes = pop.mated_probes(400, stream=1)
    q = probes[FACE]
    _, exact = exact_topk(q, [(ids, vectors)], 10, center=center)
    report = index.measure_recall(q, exact, candidates=100)
    assert report.recall_in_candidates >= 0.9
    assert report.top1_in_candidates >= 0.98
    assert 0.3 <= report.recall_at_k <= report.recall_in_candidates
    _, found = index.search(q, 100)
    exact_found = np.mean([m in e for m, e in zip(mates, exact, strict=True)])
    assert np.mean([m in f for m, f in zip(mates, found, strict=True)]) >= exact_found - 0.01


def test_merged_topk_equals_one_unsharded_search(population):
    # With exact per-shard search, merging the shards' top k gives the global top k.
    _, ids, vectors, center = population
    x = prepare(vectors, center)
    q = x[:50]
    global_scores, rows = faiss.knn(q, x, 5, metric=faiss.METRIC_INNER_PRODUCT)
    parts = []
    for shard in range(4):
        mine = ids % 4 == shard
        scores, local = faiss.knn(q, x[mine], 5, metric=faiss.METRIC_INNER_PRODUCT)
        parts.append((scores, ids[mine][local]))
    merged_scores, merged_ids = merge_topk(parts, 5)
    np.testing.assert_array_equal(merged_ids, ids[rows])
    np.testing.assert_allclose(merged_scores, global_scores, rtol=1e-5)


def test_remove_and_missing_templates(population, index):
    _, ids, vectors, _ = population
    q = vectors[:20]
    _, before = index.search(q, 5)
    assert index.remove(ids[:20]) == 20 and len(index) == SIZE - 20
    _, after = index.search(q, 5)
    assert not np.isin(after, ids[:20]).any()
    assert np.isin(before[:, 0], ids[:20]).mean() >= 0.9
    nan_rows = np.full((2, 128), np.nan, np.float32)
    assert index.add(np.array([SIZE, SIZE + 1]), nan_rows) == 0
    assert index.add(ids[:20], vectors[:20]) == 20 and len(index) == SIZE
    scores, found = index.search(np.vstack([nan_rows[:1], q[:1]]), 3)
    assert (found[0] == -1).all() and np.isneginf(scores[0]).all() and found[1, 0] == ids[0]


def test_save_and_load_round_trip(tmp_path, population, index):
    _, _, vectors, _ = population
    index.save(tmp_path / "gallery")
    assert sorted(p.name for p in (tmp_path / "gallery").iterdir()) == [
        "meta.json", "shard-000.faiss", "shard-001.faiss", "shard-002.faiss"]
    loaded = ShardedIndex.load(tmp_path / "gallery")
    assert loaded.policy == index.policy and loaded.shard_sizes() == index.shard_sizes()
    np.testing.assert_array_equal(loaded.search(vectors[:30], 10)[1],
                                  index.search(vectors[:30], 10)[1])


def test_bad_use_is_refused(population):
    _, _, vectors, _ = population
    with pytest.raises(ValueError, match="multiple of pq_bytes"):
        ShardedIndex(100, ShardPolicy(pq_bytes=32))
    fresh = ShardedIndex(128, ShardPolicy(shards=2, nlist=64))
    with pytest.raises(RuntimeError, match="train"):
        fresh.add(np.arange(3), vectors[:3])
    with pytest.raises(RuntimeError, match="train"):
        fresh.search(vectors[:3], 3)
    with pytest.raises(ValueError, match="training vectors"):
        fresh.train(vectors[:100], expected_size=1_000)
    assert not fresh.trained
