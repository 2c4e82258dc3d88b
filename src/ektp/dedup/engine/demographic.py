"""Demographic linkage for a register of families: which records are the same person?

Plain Python + numpy + rapidfuzz, no Django. Why not just Splink: on a register shaped like an
Indonesian one, siblings and twins share the KK, the address and the mother's name, and people
with the same birth date are many. A Fellegi-Sunter model with two classes (match / non-match)
counts the family evidence as if strangers shared it by chance, so twins outscore real repeat
registrations (see /work/shared/linkage.md). This engine differs in five ways:

1. KK, mother's name and address are ONE comparison ("family"): same KK, else the mother's
   name (different / unknown / same) crossed with the address (none / same village / partly
   similar / similar / same), so the family is counted once and a mother's name that differs
   counts against.
2. Three classes instead of two: match, relative (a different person on the same KK) and
   stranger. Stranger level frequencies (u) come from random record pairs (the "same value"
   levels exactly from value counts; names and mothers' names adjusted by their own frequency);
   relative frequencies (r) from pairs of records on the same KK, with twins' names measured
   apart (parents give twins alike names). So "same birth date" among relatives is as common as
   twins are, not as rare as among strangers.
3. Only the match frequencies (m) and the class shares are estimated, by EM with u and r held
   fixed, in two sessions: pairs born the same day, and pairs with the same (not too common)
   name, each leaving out the fields its pairs agree on by construction or that go with a name.
   EM starts from "matches are rare" and a session whose matches would not agree on birth date
   or name is set aside. This is stable because the non-match side is measured, not guessed.
   Fellegi-Sunter m/u from frequencies alone was not enough: m has no direct measurement.
4. The match prior is estimated from the sessions (expected matches / all pairs), so a larger
   register automatically needs more evidence per pair.
5. Clustering does not chain: pairs are merged best first, and two groups join only if every
   pair across them stays above a floor probability and is likelier one person than relatives.

The default threshold is a posterior match probability of 0.5 (more likely the same person than
not), fixed in advance, never tuned on a truth set.

Typical use::

    engine = DemographicEngine()
    result = engine.run(records)          # DataFrame or iterable of dicts
    result.pairs, result.clusters
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ektp.dedup.engine.demographic_blocking import blocking_passes
from ektp.dedup.engine.demographic_compare import compare
from ektp.dedup.engine.demographic_fields import (
    COMPARISONS,
    FIELDS,
    LEVEL_NAMES,
    EngineConfig,
    Prepared,
    parse_dates,
    prepare,
)
from ektp.dedup.engine.demographic_model import Model, class_logs, estimate_model, score_pairs

# Re-exported: callers import the whole engine from this module.
__all__ = [
    "COMPARISONS",
    "FIELDS",
    "CandidateChunk",
    "DemographicEngine",
    "EngineConfig",
    "LinkResult",
    "Model",
    "Prepared",
    "ScoredPairs",
    "cluster",
    "cluster_pairs",
    "clusters_frame",
    "compare",
    "pairs_frame",
    "parse_dates",
    "prepare",
    "score_pairs",
]

# --- Clustering -----------------------------------------------------------------------------

class _Clusters:
    """Union-find that refuses a merge when any pair across the two groups is unlikely to be a
    duplicate (below the floor) or more likely relatives (twins, siblings) than one person."""

    def __init__(self, p: Prepared, model: Model, config: EngineConfig, known: dict):
        self.p, self.model, self.config = p, model, config
        self.parent = np.arange(p.n)
        self.members: dict[int, list[int]] = {}
        self.known = known  # (i, j) -> probability, for pairs already scored

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def try_merge(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        ma, mb = self.members.get(ra, [ra]), self.members.get(rb, [rb])
        if (len(ma) > 1 or len(mb) > 1) and not self._compatible(ma, mb):
            return False
        self.parent[rb] = ra
        self.members[ra] = ma + mb
        self.members.pop(rb, None)
        return True

    def _compatible(self, ma: list[int], mb: list[int]) -> bool:
        i = np.repeat(np.asarray(ma), len(mb))
        j = np.tile(np.asarray(mb), len(ma))
        if self.p.source is not None and self.config.link_only:
            if (self.p.source[i] == self.p.source[j]).any():
                return False  # each source is one person per record: at most one per cluster
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        known = [self.known.get((int(a), int(b))) for a, b in zip(lo, hi, strict=True)]
        if any(k is not None and k < self.config.cluster_floor for k in known):
            return False
        # A pair already judged a duplicate passes; any other is (re)scored for both tests.
        check = np.array([k is None or k < 0.5 for k in known])
        if not check.any():
            return True
        a, b = lo[check], hi[check]
        logs = class_logs(self.p, self.model, a, b, compare(self.p, a, b, 1))
        post = np.exp(logs - logs.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        return bool(((post[:, 0] >= self.config.cluster_floor) & (post[:, 0] >= post[:, 1])).all())

    def labels(self) -> np.ndarray:
        roots = self.parent.copy()
        while True:  # follow parents to the roots, all records at once
            nxt = roots[roots]
            if (nxt == roots).all():
                break
            roots = nxt
        first = pd.Series(np.arange(self.p.n)).groupby(roots).transform("min").to_numpy()
        return first


def cluster(p: Prepared, model: Model, config: EngineConfig, i, j, prob) -> np.ndarray:
    """Cluster label per record: the index of its cluster's first record."""
    known = {(int(a), int(b)): float(x) for a, b, x in zip(i, j, prob, strict=True)}
    clusters = _Clusters(p, model, config, known)
    for k in np.argsort(-prob, kind="stable"):
        if prob[k] < config.threshold:
            break
        clusters.try_merge(int(i[k]), int(j[k]))
    return clusters.labels()


# --- The engine -----------------------------------------------------------------------------

@dataclass
class ScoredPairs:
    i: np.ndarray
    j: np.ndarray
    prob: np.ndarray
    weight: np.ndarray
    levels: np.ndarray

    @classmethod
    def concat(cls, parts: list["ScoredPairs"]) -> "ScoredPairs":
        if not parts:
            return cls(*(np.zeros(0, t) for t in (np.int64, np.int64, np.float32, np.float32)),
                       np.zeros((0, len(COMPARISONS)), np.int8))
        return cls(*(np.concatenate([getattr(x, f) for x in parts])
                     for f in ("i", "j", "prob", "weight", "levels")))


@dataclass
class CandidateChunk:
    pass_index: int
    chunk_index: int
    pass_name: str
    i: np.ndarray
    j: np.ndarray


@dataclass
class LinkResult:
    pairs: pd.DataFrame
    clusters: pd.DataFrame
    model: Model
    stats: dict


Progress = Callable[[str, int, int], None]


class DemographicEngine:
    def __init__(self, config: EngineConfig | None = None):
        self.config = config or EngineConfig()

    def prepare(self, records) -> Prepared:
        return prepare(records)

    def fit(self, prepared: Prepared) -> Model:
        return estimate_model(prepared, self.config)

    def candidates(self, p: Prepared) -> Iterator[CandidateChunk]:
        """Candidate pairs pass by pass; a pair found by an earlier pass is not repeated."""
        passes = blocking_passes(p, self.config.max_block)
        for index, bp in enumerate(passes):
            for chunk_index, (i, j) in enumerate(bp.pairs(self.config.chunk_pairs)):
                keep = np.ones(len(i), dtype=bool)
                for earlier in passes[:index]:
                    keep &= ~earlier.covers(i, j)
                if p.source is not None and self.config.link_only:
                    keep &= p.source[i] != p.source[j]
                yield CandidateChunk(index, chunk_index, bp.name, i[keep], j[keep])

    def score_chunk(self, p: Prepared, model: Model, chunk: CandidateChunk) -> ScoredPairs:
        prob, weight, levels = score_pairs(p, model, chunk.i, chunk.j, self.config.workers)
        keep = prob >= self.config.review_threshold
        return ScoredPairs(chunk.i[keep], chunk.j[keep], prob[keep].astype(np.float32),
                           weight[keep].astype(np.float32), levels[keep])

    def cluster(self, p: Prepared, model: Model, scored: ScoredPairs) -> np.ndarray:
        return cluster(p, model, self.config, scored.i, scored.j, scored.prob)

    def run(self, records, progress: Progress | None = None) -> LinkResult:
        notify = progress or (lambda stage, done, total: None)
        p = self.prepare(records)
        notify("prepared", p.n, p.n)
        model = self.fit(p)
        notify("model", 1, 1)
        parts, candidates = [], 0
        for chunk in self.candidates(p):
            candidates += len(chunk.i)
            parts.append(self.score_chunk(p, model, chunk))
            notify("candidates", candidates, 0)
        scored = ScoredPairs.concat(parts)
        labels = self.cluster(p, model, scored)
        notify("clustered", p.n, p.n)
        stats = {"records": p.n, "candidate_pairs": candidates, **model.stats}
        return LinkResult(pairs_frame(p, scored, self.config), clusters_frame(p, labels), model,
                          stats)


def pairs_frame(p: Prepared, scored: ScoredPairs, config: EngineConfig) -> pd.DataFrame:
    frame = pd.DataFrame({
        "record_id_a": p.record_id[scored.i], "record_id_b": p.record_id[scored.j],
        "score": np.round(scored.prob.astype(float), 6),
        "weight": np.round(scored.weight.astype(float), 3),
        "is_match": scored.prob >= config.threshold,
    })
    for c, name in enumerate(COMPARISONS):
        names = np.array(tuple(LEVEL_NAMES[name]) + ("missing",), dtype=object)
        frame[name] = names[scored.levels[:, c]]
    return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def clusters_frame(p: Prepared, labels: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"record_id": p.record_id, "cluster_id": p.record_id[labels]})


def cluster_pairs(labels: np.ndarray) -> Iterable[tuple[int, int]]:
    """Every pair of record indices that share a cluster."""
    series = pd.Series(np.arange(len(labels)))
    shared = series[pd.Series(labels).duplicated(keep=False).to_numpy()]
    for _, members in shared.groupby(labels[shared.to_numpy()]):
        ids = members.to_numpy()
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                yield int(ids[x]), int(ids[y])
