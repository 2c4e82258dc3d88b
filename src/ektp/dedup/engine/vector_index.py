"""A biometric gallery for one modality, on FAISS.

Vectors are stored mean-centred and L2-normalised (dlib embeddings share a large common
component; without centring every impostor scores about 0.8), so the inner product is the
cosine of the centred templates. The rows live in a numpy matrix keyed by int64 record ids:
exact search is FAISS's BLAS kernel over that matrix, and the candidates' scores are exact dot
products over gathered rows. Beyond `IndexPolicy.hnsw_from` records an approximate index (HNSW,
or IVF beyond `ivf_from`) answers searches; `reindex()` builds or drops it, `measure_recall`
checks it against exact search. Removals from the approximate index are tombstones (filtered by
an IDSelector) until the next `reindex()`.

Ids are mapped by sorted arrays rather than FAISS's IndexIDMap2: the pipeline needs id -> row for
whole candidate matrices at once (vectorised), and FAISS's HNSW cannot remove ids at all.
"""

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import faiss
import numpy as np

FLAT, HNSW, IVF = "flat", "hnsw", "ivf"
ALL_CORES = os.cpu_count() or 1
FORMAT_VERSION = 1


@dataclass(frozen=True)
class IndexPolicy:
    """When to leave exact search, and the approximate index's knobs. Defaults measured with
    bench/dedup/biometric.py on this shared 2-core machine (bench/dedup/README.md): exact search
    over face + 2 fingers is below 2,000 identifications/s from a few tens of thousands of
    records; HNSW M=24, efConstruction=32 builds in about half the time of M=32/40 for nearly
    the same mate-found rate; ef 16 is the fast setting, ef 32 the one that keeps the mate
    found >= 99.9% at 1M (raise it per call with `BiometricSearch.tune`)."""

    hnsw_from: int = 50_000  # exact search below this many records
    ivf_from: int | None = None  # IVF instead of HNSW from this size (None: never)
    hnsw_m: int = 24
    ef_construction: int = 32
    ef_search: int = 16
    ivf_nprobe: int = 64
    single_thread_below: int = 16  # smaller batches run on one thread: lower latency
    tombstone_share: float = 0.1  # reindex once this share of the approximate index is removed


@dataclass(frozen=True)
class RecallReport:
    kind: str
    k: int
    queries: int
    recall_at_k: float  # share of the exact top-k the index returns
    top1_agreement: float  # share of queries whose exact best match is the index's best


@contextmanager
def faiss_threads(count: int) -> Iterator[None]:
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def threads_for(batch: int, policy: IndexPolicy) -> int:
    """One thread for a lone probe (memory-bound; a second thread only adds overhead), all
    cores for a batch (the BLAS kernel is compute-bound)."""
    return 1 if batch < policy.single_thread_below else ALL_CORES


class _IdLookup:
    """Record id -> row, as sorted arrays: vectorised lookups, O(n) inserts and deletes."""

    def __init__(self, ids: np.ndarray | None = None):
        ids = np.empty(0, np.int64) if ids is None else np.asarray(ids, np.int64)
        order = np.argsort(ids, kind="stable")
        self.keys, self.rows = ids[order], order.astype(np.int64)

    def find(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, np.int64)
        if not len(self.keys):
            return np.full(ids.shape, -1, np.int64)
        pos = np.minimum(np.searchsorted(self.keys, ids), len(self.keys) - 1)
        return np.where(self.keys[pos] == ids, self.rows[pos], -1)

    def insert(self, ids: np.ndarray, rows: np.ndarray) -> None:
        order = np.argsort(ids, kind="stable")
        pos = np.searchsorted(self.keys, ids[order])
        self.keys = np.insert(self.keys, pos, ids[order])
        self.rows = np.insert(self.rows, pos, rows[order])

    def delete(self, ids: np.ndarray) -> None:
        pos = np.searchsorted(self.keys, ids)
        self.keys, self.rows = np.delete(self.keys, pos), np.delete(self.rows, pos)

    def move(self, ids: np.ndarray, rows: np.ndarray) -> None:
        self.rows[np.searchsorted(self.keys, ids)] = rows


class _Rows:
    """A growable float32 matrix with the record id of each row (capacity doubles)."""

    def __init__(self, dim: int):
        self.matrix = np.empty((0, dim), np.float32)
        self.ids = np.empty(0, np.int64)
        self.size = 0

    def append(self, ids: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        end = self.size + len(ids)
        if end > len(self.ids):
            capacity = max(end, 2 * len(self.ids), 1024)
            self.matrix = _grow(self.matrix, capacity, self.size)
            self.ids = _grow(self.ids, capacity, self.size)
        self.matrix[self.size:end], self.ids[self.size:end] = vectors, ids
        rows = np.arange(self.size, end, dtype=np.int64)
        self.size = end
        return rows

    def remove(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fill the holes with the last rows; returns (moved ids, their new rows)."""
        last = self.size - len(rows)
        holes = rows[rows < last]
        movers = np.setdiff1d(np.arange(last, self.size), rows)
        self.matrix[holes], self.ids[holes] = self.matrix[movers], self.ids[movers]
        self.size = last
        return self.ids[holes], holes

    def vectors(self) -> np.ndarray:
        return self.matrix[: self.size]


def _grow(array: np.ndarray, capacity: int, used: int) -> np.ndarray:
    grown = np.empty((capacity, *array.shape[1:]), array.dtype)
    grown[:used] = array[:used]
    return grown


def _pad(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    missing = k - ids.shape[1]
    if missing <= 0:
        return scores, ids
    n = len(ids)
    return (np.hstack([scores, np.full((n, missing), -np.inf, np.float32)]),
            np.hstack([ids, np.full((n, missing), -1, np.int64)]))


class VectorIndex:
    def __init__(self, dim: int, *, center: np.ndarray | None = None, normalize: bool = True,
                 policy: IndexPolicy | None = None):
        self.dim, self.normalize = dim, normalize
        self.center = None if center is None else np.asarray(center, np.float32).reshape(dim)
        self.policy = policy or IndexPolicy()
        self._rows = _Rows(dim)
        self._lookup = _IdLookup()
        self._ann: faiss.Index | None = None
        self._ann_ids = np.empty(0, np.int64)  # approximate-index node -> record id
        self._ann_lookup = _IdLookup()
        self._ann_alive = np.empty(0, bool)

    # -- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._rows.size

    @property
    def kind(self) -> str:
        if self._ann is None:
            return FLAT
        return IVF if isinstance(self._ann, faiss.IndexIVF) else HNSW

    def ids(self) -> np.ndarray:
        return self._rows.ids[: self._rows.size].copy()

    def vectors(self) -> np.ndarray:
        """The stored (prepared) vectors, row i belonging to ids()[i]; a read-only view."""
        view = self._rows.vectors().view()
        view.flags.writeable = False
        return view

    def get(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The stored (prepared) vectors of these ids and whether each is present (absent
        ids get a NaN row)."""
        rows = self._lookup.find(np.atleast_1d(ids))
        out = np.full((len(rows), self.dim), np.nan, np.float32)
        out[rows >= 0] = self._rows.vectors()[rows[rows >= 0]]
        return out, rows >= 0

    def contains(self, ids: np.ndarray) -> np.ndarray:
        return self._lookup.find(np.atleast_1d(ids)) >= 0

    def prepare(self, vectors: np.ndarray) -> np.ndarray:
        """Raw templates -> the stored form: centred, then L2-normalised (NaN rows stay NaN)."""
        x = np.atleast_2d(np.asarray(vectors, np.float32))
        if x.shape[1] != self.dim:
            raise ValueError(f"expected {self.dim}-d vectors, got {x.shape[1]}-d")
        if self.center is not None:
            x = x - self.center
        if self.normalize:
            x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(x, dtype=np.float32)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, record ids) per query, best first; padded with (-inf, -1)."""
        q = self.prepare(queries)
        if len(self) == 0 or k <= 0:
            return _pad(np.empty((len(q), 0), np.float32), np.empty((len(q), 0), np.int64), k)
        with faiss_threads(threads_for(len(q), self.policy)):
            if self._ann is None:
                scores, rows = faiss.knn(q, self._rows.vectors(), min(k, len(self)),
                                         metric=faiss.METRIC_INNER_PRODUCT)
                ids = np.where(rows >= 0, self._rows.ids[np.maximum(rows, 0)], -1)
            else:
                scores, ids = self._search_ann(q, k)
        return _pad(scores, ids, k)

    def _search_ann(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        params, _keepalive = self._ann_params()
        scores, nodes = self._ann.search(q, k, params=params)
        ids = np.where(nodes >= 0, self._ann_ids[np.maximum(nodes, 0)], -1)
        return np.where(nodes >= 0, scores, -np.inf).astype(np.float32), ids

    def _ann_params(self) -> tuple[faiss.SearchParameters, object]:
        if isinstance(self._ann, faiss.IndexIVF):
            params = faiss.SearchParametersIVF()
            params.nprobe = self.policy.ivf_nprobe
        else:
            params = faiss.SearchParametersHNSW()
            params.efSearch = self.policy.ef_search
        if self._ann_alive.all():
            return params, None
        bitmap = np.packbits(self._ann_alive, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(self._ann_alive), faiss.swig_ptr(bitmap))
        params.sel = selector
        return params, (bitmap, selector)  # both must outlive the search

    def score(self, queries: np.ndarray, candidate_ids: np.ndarray) -> np.ndarray:
        """Exact similarity of each query with each of its candidates: (n, c); NaN where the
        candidate (or the query) has no vector here or the id is -1."""
        q = self.prepare(queries)
        rows = self._lookup.find(candidate_ids)
        gathered = self._rows.vectors()[np.maximum(rows, 0)] if len(self) else \
            np.zeros((*rows.shape, self.dim), np.float32)
        scores = np.einsum("nkd,nd->nk", gathered, q)
        return np.where(rows >= 0, scores, np.nan).astype(np.float32)

    # -- writing ---------------------------------------------------------------------------
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.atleast_1d(np.asarray(ids, np.int64))
        x = self.prepare(vectors)
        if len(ids) != len(x):
            raise ValueError("one id per vector")
        if not np.isfinite(x).all():
            raise ValueError("vectors must be finite (leave missing templates out)")
        if len(np.unique(ids)) != len(ids) or self.contains(ids).any():
            raise ValueError("record id already in the gallery")
        self._lookup.insert(ids, self._rows.append(ids, x))
        if self._ann is not None:
            self._add_to_ann(ids, x)

    def _add_to_ann(self, ids: np.ndarray, x: np.ndarray) -> None:
        nodes = np.arange(len(self._ann_ids), len(self._ann_ids) + len(ids), dtype=np.int64)
        with faiss_threads(threads_for(len(ids), self.policy)):
            self._ann.add(x)
        self._ann_ids = np.concatenate([self._ann_ids, ids])
        self._ann_alive = np.concatenate([self._ann_alive, np.ones(len(ids), bool)])
        self._ann_lookup.insert(ids, nodes)

    def remove(self, ids: np.ndarray) -> int:
        """Remove these records (unknown ids are ignored); returns how many were removed."""
        ids = np.unique(np.atleast_1d(np.asarray(ids, np.int64)))
        rows = self._lookup.find(ids)
        ids, rows = ids[rows >= 0], np.sort(rows[rows >= 0])
        if not len(ids):
            return 0
        self._lookup.delete(ids)
        self._lookup.move(*self._rows.remove(rows))
        if self._ann is not None:
            nodes = self._ann_lookup.find(ids)
            self._ann_alive[nodes[nodes >= 0]] = False
            self._ann_lookup.delete(ids[nodes >= 0])
        return len(ids)

    # -- choosing the index ----------------------------------------------------------------
    def wanted_kind(self) -> str:
        p, n = self.policy, len(self)
        if n < p.hnsw_from:
            return FLAT
        return IVF if p.ivf_from is not None and n >= p.ivf_from else HNSW

    @property
    def needs_reindex(self) -> bool:
        dead = len(self._ann_alive) - int(self._ann_alive.sum())
        return self.wanted_kind() != self.kind or dead > self.policy.tombstone_share * len(self)

    def reindex(self, kind: str | None = None) -> None:
        """(Re)build the approximate index from the live rows, or drop it for exact search."""
        kind = kind or self.wanted_kind()
        self._ann = None
        self._ann_ids, self._ann_alive = np.empty(0, np.int64), np.empty(0, bool)
        self._ann_lookup = _IdLookup()
        if kind == FLAT:
            return
        x = self._rows.vectors()
        self._ann = self._new_hnsw() if kind == HNSW else self._new_ivf(x)
        if len(x):
            self._add_to_ann(self._rows.ids[: len(x)].copy(), x)

    def _new_hnsw(self) -> faiss.Index:
        index = faiss.IndexHNSWFlat(self.dim, self.policy.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.policy.ef_construction
        return index

    def _new_ivf(self, x: np.ndarray) -> faiss.Index:
        nlist = max(1, min(int(4 * np.sqrt(len(x))), len(x) // 39))
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = x[np.random.default_rng(0).choice(len(x), min(len(x), 50 * nlist), replace=False)]
        with faiss_threads(ALL_CORES):
            index.train(sample)
        return index

    def measure_recall(self, sample: np.ndarray, k: int = 10) -> RecallReport:
        """The current index against exact search on these (raw) queries."""
        q = self.prepare(sample)
        _, approx = self.search(sample, k)
        if self._ann is None:
            return RecallReport(FLAT, k, len(q), 1.0, 1.0)
        with faiss_threads(ALL_CORES):
            _, rows = faiss.knn(q, self._rows.vectors(), k, metric=faiss.METRIC_INNER_PRODUCT)
        exact = np.where(rows >= 0, self._rows.ids[np.maximum(rows, 0)], -1)
        hits = [len(np.intersect1d(a[a >= 0], e[e >= 0])) / max(1, (e >= 0).sum())
                for a, e in zip(approx, exact, strict=True)]
        return RecallReport(self.kind, k, len(q), float(np.mean(hits)),
                            float(np.mean(approx[:, 0] == exact[:, 0])))

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write atomically: a temporary file in the same directory, fsync, then rename, so a
        crash mid-save leaves the previous file intact."""
        arrays = {
            "meta": np.array(json.dumps(self._meta())),
            "center": self.center if self.center is not None else np.empty(0, np.float32),
            "vectors": self._rows.vectors(), "ids": self._rows.ids[: len(self)],
            "ann": np.empty(0, np.uint8) if self._ann is None else faiss.serialize_index(self._ann),
            "ann_ids": self._ann_ids, "ann_alive": self._ann_alive,
        }
        write_atomically(Path(path), lambda f: np.savez(f, **arrays))

    def _meta(self) -> dict:
        return {"version": FORMAT_VERSION, "dim": self.dim, "normalize": self.normalize,
                "policy": asdict(self.policy)}

    @classmethod
    def load(cls, path: str | Path) -> "VectorIndex":
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta["version"] != FORMAT_VERSION:
                raise ValueError(f"unsupported gallery format {meta['version']}")
            center = data["center"] if len(data["center"]) else None
            index = cls(meta["dim"], center=center, normalize=meta["normalize"],
                        policy=IndexPolicy(**meta["policy"]))
            ids, vectors = data["ids"], data["vectors"]
            index._lookup.insert(ids, index._rows.append(ids, vectors))
            if len(data["ann"]):
                index._ann = faiss.deserialize_index(data["ann"])
                index._ann_ids, index._ann_alive = data["ann_ids"], data["ann_alive"].copy()
                alive = index._ann_alive
                index._ann_lookup = _IdLookup()
                index._ann_lookup.insert(index._ann_ids[alive], np.flatnonzero(alive))
        return index


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the rename itself durable
    finally:
        os.close(directory)
