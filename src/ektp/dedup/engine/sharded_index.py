"""A biometric gallery past one machine: sharded, compressed FAISS indexes (IVF-PQ).

One modality's gallery is split by record id (`id % shards`) into shards that share one trained
coarse quantizer and one product quantizer: the index is trained once on a sample, then every
shard is an empty copy of the trained index holding its own records as PQ codes (`pq_bytes`
per vector instead of 4·dim: 32 bytes against 512 for a 128-d float32 template). A search asks
every shard for its top k and merges them: the global top k by code score is exactly the top k
of the shards' top-k lists, so shards can live in other processes or on other machines and only
k (score, id) pairs per query come back from each. Shards are searched from a thread pool here
(FAISS releases the GIL), one FAISS thread each.

PQ scores are approximate: the candidates are meant to be re-scored exactly from the stored
templates (as `VectorIndex.score` does for the single-machine gallery); ask for more candidates
than needed (e.g. 100 for a top 10) and `measure_recall` reports both "recall@k" and "the exact
top k among the candidates". Vectors are centred and L2-normalised like `VectorIndex` does, so
the inner product is the cosine of the centred templates; missing templates (NaN rows) are not
indexed. Plain numpy + FAISS, no Django.
"""

import json
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from ektp.dedup.engine.vector_index import faiss_threads, write_atomically

FORMAT_VERSION = 1


@dataclass(frozen=True)
class ShardPolicy:
    """Knobs of the sharded index. `nlist` is per shard (every shard has the same lists);
    None picks 4·√(expected records per shard), the usual rule. `nprobe` lists are scanned per
    shard and query."""

    shards: int = 4
    pq_bytes: int = 32      # sub-quantizers of 8 bits: bytes per stored vector
    nlist: int | None = None
    nprobe: int = 32
    train_size: int = 100_000
    train_iterations: int = 10  # k-means iterations (coarse and PQ); FAISS's default is 25
    seed: int = 1


@dataclass(frozen=True)
class ShardRecall:
    k: int
    candidates: int
    queries: int
    recall_at_k: float          # share of the exact top k among the index's top k
    recall_in_candidates: float  # share of the exact top k among the index's `candidates`
    top1_in_candidates: float    # share of queries whose exact best match is a candidate


def prepare(vectors: np.ndarray, center: np.ndarray | None) -> np.ndarray:
    """Centre and L2-normalise (float32, C order); zero rows stay zero, NaN rows stay NaN."""
    x = np.asarray(vectors, np.float32)
    if center is not None:
        x = x - center
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.where(norms > 0, norms, 1), dtype=np.float32)


def default_nlist(records_per_shard: int) -> int:
    return int(max(16, min(65_536, 4 * np.sqrt(max(records_per_shard, 1)))))


class ShardedIndex:
    def __init__(self, dim: int, policy: ShardPolicy | None = None, *,
                 center: np.ndarray | None = None):
        self.dim, self.policy = dim, policy or ShardPolicy()
        if dim % self.policy.pq_bytes:
            raise ValueError(f"dim {dim} is not a multiple of pq_bytes {self.policy.pq_bytes}")
        self.center = None if center is None else np.asarray(center, np.float32)
        self.shards: list[faiss.IndexIVFPQ] = []

    # -- building --------------------------------------------------------------------------
    @property
    def trained(self) -> bool:
        return bool(self.shards)

    def train(self, sample: np.ndarray, expected_size: int) -> None:
        """Train the shared quantizers on a sample of the gallery (raw vectors)."""
        x = prepare(sample, self.center)
        x = x[np.isfinite(x).all(axis=1)]
        nlist = self.policy.nlist or default_nlist(expected_size // self.policy.shards)
        if len(x) < max(nlist, 256):
            raise ValueError(f"need at least {max(nlist, 256)} training vectors, got {len(x)}")
        rng = np.random.default_rng(self.policy.seed)
        x = x[rng.choice(len(x), min(len(x), self.policy.train_size), replace=False)]
        quantizer = faiss.IndexFlatIP(self.dim)
        template = faiss.IndexIVFPQ(quantizer, self.dim, nlist, self.policy.pq_bytes, 8,
                                    faiss.METRIC_INNER_PRODUCT)
        for params in (template.cp, template.pq.cp):
            params.seed, params.niter = self.policy.seed, self.policy.train_iterations
        template.train(x)
        blob = faiss.serialize_index(template)
        self.shards = [faiss.deserialize_index(blob) for _ in range(self.policy.shards)]

    def shard_of(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(ids, np.int64) % self.policy.shards

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> int:
        """Add records to their shards; returns how many were indexed (NaN rows are skipped).
        An id already present is not replaced: remove it first."""
        self._require_trained()
        ids = np.asarray(ids, np.int64)
        x = prepare(vectors, self.center)
        finite = np.isfinite(x).all(axis=1)
        ids, x = ids[finite], x[finite]
        which = self.shard_of(ids)
        for shard, index in enumerate(self.shards):
            mine = which == shard
            if mine.any():
                index.add_with_ids(np.ascontiguousarray(x[mine]), ids[mine])
        return int(finite.sum())

    def add_chunks(self, chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> int:
        return sum(self.add(ids, vectors) for ids, vectors in chunks)

    def remove(self, ids: np.ndarray) -> int:
        """Remove records (by id) from their shards; returns how many were removed."""
        self._require_trained()
        ids = np.asarray(ids, np.int64)
        which = self.shard_of(ids)
        removed = 0
        for shard, index in enumerate(self.shards):
            mine = ids[which == shard]
            if len(mine):
                removed += index.remove_ids(faiss.IDSelectorBatch(mine))
        return int(removed)

    def __len__(self) -> int:
        return sum(index.ntotal for index in self.shards)

    def shard_sizes(self) -> list[int]:
        return [index.ntotal for index in self.shards]

    def code_bytes(self) -> int:
        """Bytes of the stored codes and ids (the part that grows with the gallery)."""
        return len(self) * (self.policy.pq_bytes + 8)

    def _require_trained(self) -> None:
        if not self.trained:
            raise RuntimeError("train() the sharded index before adding or searching")

    # -- searching -------------------------------------------------------------------------
    def search_shard(self, shard: int, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """One shard's top k for prepared queries: what a remote shard server would answer."""
        params = faiss.SearchParametersIVF(nprobe=self.policy.nprobe)
        return self.shards[shard].search(q, k, params=params)

    def search(self, queries: np.ndarray, k: int, workers: int = 2) -> tuple[np.ndarray,
                                                                             np.ndarray]:
        """Merged top k over every shard: (scores, ids), best first; -1 ids where fewer."""
        self._require_trained()
        q = prepare(queries, self.center)
        finite = np.isfinite(q).all(axis=1)
        q = np.where(finite[:, None], q, 0).astype(np.float32)
        with faiss_threads(1), ThreadPoolExecutor(max(1, workers)) as pool:
            parts = list(pool.map(lambda s: self.search_shard(s, q, k), range(len(self.shards))))
        scores, ids = merge_topk(parts, k)
        ids[~finite] = -1
        scores[~finite] = -np.inf
        return scores, ids

    def measure_recall(self, queries: np.ndarray, exact_ids: np.ndarray,
                       candidates: int = 100) -> ShardRecall:
        """Against exact search: `exact_ids` is the exact top k of each query (k columns)."""
        k = exact_ids.shape[1]
        _, found = self.search(queries, max(k, candidates))
        return ShardRecall(k, max(k, candidates), len(queries),
                           _overlap(found[:, :k], exact_ids), _overlap(found, exact_ids),
                           float(np.mean([e[0] in f for f, e in zip(found, exact_ids,
                                                                      strict=True)])))

    # -- persistence -----------------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """One file per shard (as a shard server would hold it) plus meta.json, each written
        atomically."""
        self._require_trained()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for shard, index in enumerate(self.shards):
            blob = faiss.serialize_index(index)
            write_atomically(path / f"shard-{shard:03d}.faiss", lambda f, b=blob: f.write(b))
        meta = {"version": FORMAT_VERSION, "dim": self.dim, "policy": asdict(self.policy),
                "center": None if self.center is None else self.center.tolist()}
        write_atomically(path / "meta.json", lambda f: f.write(json.dumps(meta).encode()))

    @classmethod
    def load(cls, directory: str | Path) -> "ShardedIndex":
        path = Path(directory)
        meta = json.loads((path / "meta.json").read_text())
        if meta["version"] != FORMAT_VERSION:
            raise ValueError(f"unsupported sharded index format {meta['version']}")
        index = cls(meta["dim"], ShardPolicy(**meta["policy"]), center=meta["center"] and
                    np.array(meta["center"], np.float32))
        index.shards = [faiss.read_index(os.fspath(path / f"shard-{s:03d}.faiss"))
                        for s in range(index.policy.shards)]
        return index


def merge_topk(parts: list[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Merge per-shard (scores, ids) top-k lists (inner product: higher is better)."""
    scores = np.hstack([p[0] for p in parts]).astype(np.float32)
    ids = np.hstack([p[1] for p in parts]).astype(np.int64)
    scores = np.where(ids >= 0, scores, -np.inf)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, 1), np.take_along_axis(ids, order, 1)


def exact_topk(queries: np.ndarray, chunks: Iterable[tuple[np.ndarray, np.ndarray]], k: int,
               center: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact top k of prepared queries over a gallery streamed in (ids, raw vectors) chunks:
    the ground truth at sizes whose float vectors do not fit in memory together."""
    q = prepare(queries, center)
    best = (np.full((len(q), k), -np.inf, np.float32), np.full((len(q), k), -1, np.int64))
    for ids, vectors in chunks:
        x = prepare(vectors, center)
        finite = np.isfinite(x).all(axis=1)
        ids, x = np.asarray(ids, np.int64)[finite], x[finite]
        if not len(x):
            continue
        scores, rows = faiss.knn(q, x, min(k, len(x)), metric=faiss.METRIC_INNER_PRODUCT)
        found = np.where(rows >= 0, ids[np.maximum(rows, 0)], -1)
        best = merge_topk([best, (scores, found)], k)
    return best


def _overlap(found: np.ndarray, exact: np.ndarray) -> float:
    hits = [len(np.intersect1d(f[f >= 0], e[e >= 0])) / max(1, int((e >= 0).sum()))
            for f, e in zip(found, exact, strict=True)]
    return float(np.mean(hits))
