"""1:N biometric identification: candidates from every modality, exact scores, fused LLRs.

1. Candidate generation: the top-k of each candidate source (the face index, and the finger
   indexes: one per finger position, or one over the concatenated fingers) for the whole batch.
2. The union of the candidates is scored in every modality with exact dot products over the
   candidates' stored vectors only (a few dozen rows per probe, not the gallery).
3. Each score becomes a log-likelihood ratio (`fusion.ScoreCalibration`); the LLRs of the
   modalities present are summed, and the candidates are ranked by the fused LLR.
A mate missed by one source is still found if any other source returns it, and is then scored
in all modalities: a poor face capture or a worn finger costs evidence, not the candidate.
"""

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ektp.dedup.engine.fusion import ScoreCalibration, fuse
from ektp.dedup.engine.vector_index import IndexPolicy, VectorIndex, write_atomically

PER_POSITION, CONCATENATED = "per-position", "concatenated"
FINGERS = "fingers"  # the source over the concatenated finger positions
MANIFEST = "manifest.json"
SCORE_BLOCK = 4096  # probes scored at a time: bounds the gathered candidate vectors in memory


@dataclass(frozen=True)
class ModalitySpec:
    name: str
    dim: int = 128
    center: np.ndarray | None = None  # population mean of the raw templates (dlib faces)
    is_finger: bool = False


@dataclass(frozen=True)
class SearchConfig:
    k: int = 10  # candidates taken from each source
    finger_layout: str = PER_POSITION
    policy: IndexPolicy = field(default_factory=IndexPolicy)


@dataclass
class Identifications:
    """A batch of searches: row i holds probe i's candidates, best fused LLR first."""

    ids: np.ndarray  # (n, c) record ids, -1 = no candidate
    scores: dict[str, np.ndarray]  # modality -> (n, c) similarity, NaN = modality missing
    fused: np.ndarray  # (n, c) fused LLR, -inf where there is no candidate

    def top(self) -> np.ndarray:
        return self.fused[:, 0] if self.fused.shape[1] else np.full(len(self.fused), -np.inf)

    def rank_of(self, record_ids: np.ndarray) -> np.ndarray:
        """0-based rank of each probe's given record among its candidates; -1 if absent."""
        hit = self.ids == np.asarray(record_ids)[:, None]
        return np.where(hit.any(1), hit.argmax(1), -1)

    def fused_of(self, record_ids: np.ndarray) -> np.ndarray:
        """Fused LLR of each probe's given record; -inf if it is not a candidate."""
        rank = self.rank_of(record_ids)
        picked = self.fused[np.arange(len(rank)), np.maximum(rank, 0)]
        return np.where(rank >= 0, picked, -np.inf)


class BiometricSearch:
    def __init__(self, specs: Sequence[ModalitySpec], config: SearchConfig | None = None):
        self.config = config or SearchConfig()
        self.specs = {s.name: s for s in specs}
        self.indexes = {s.name: VectorIndex(s.dim, center=s.center, policy=self.config.policy)
                        for s in specs}
        self.calibrations: dict[str, ScoreCalibration] = {}
        self.fingers = [s.name for s in specs if s.is_finger]
        self.concatenated: VectorIndex | None = None
        if self.config.finger_layout == CONCATENATED and self.fingers:
            dim = sum(self.specs[f].dim for f in self.fingers)
            self.concatenated = VectorIndex(dim, normalize=False, policy=self.config.policy)

    @property
    def sources(self) -> list[str]:
        """Names of the indexes that generate candidates."""
        if self.concatenated is None:
            return list(self.indexes)
        return [n for n in self.indexes if n not in self.fingers] + [FINGERS]

    def source(self, name: str) -> VectorIndex:
        return self.concatenated if name == FINGERS else self.indexes[name]

    # -- the gallery -----------------------------------------------------------------------
    def enrol(self, ids: np.ndarray, templates: Mapping[str, np.ndarray]) -> None:
        """Add records; a template with NaN (failure to capture) is left out of its index."""
        ids = np.asarray(ids, np.int64)
        for name, index in self.indexes.items():
            present = np.isfinite(templates[name]).all(1)
            index.add(ids[present], templates[name][present])
        if self.concatenated is not None:
            vectors, present = self.concatenate_fingers(templates)
            self.concatenated.add(ids[present], vectors[present])

    def concatenate_fingers(self, templates: Mapping[str, np.ndarray]
                            ) -> tuple[np.ndarray, np.ndarray]:
        """Each finger centred and normalised, missing fingers as zeros: the inner product of
        two such vectors is the sum of the per-finger cosines."""
        vectors = np.hstack([np.nan_to_num(self.indexes[f].prepare(templates[f]), nan=0.0)
                             for f in self.fingers])
        return vectors, np.any(vectors != 0, axis=1)

    def remove(self, ids: np.ndarray) -> None:
        for name in self.sources:
            self.source(name).remove(ids)
        for name in self.fingers if self.concatenated is not None else []:
            self.indexes[name].remove(ids)

    def reindex(self) -> None:
        for name in self.sources:
            self.source(name).reindex()

    def tune(self, *, k: int | None = None, ef_search: int | None = None,
             ivf_nprobe: int | None = None) -> None:
        """Change the search-time knobs (candidates per source, HNSW ef, IVF nprobe) without
        rebuilding anything."""
        self.config = dataclasses.replace(self.config, k=k or self.config.k)
        changes = {key: value for key, value in
                   {"ef_search": ef_search, "ivf_nprobe": ivf_nprobe}.items() if value}
        for index in list(self.indexes.values()) + [self.concatenated] * bool(self.concatenated):
            index.policy = dataclasses.replace(index.policy, **changes)

    # -- searching -------------------------------------------------------------------------
    def candidates(self, templates: Mapping[str, np.ndarray],
                   sources: Sequence[str] | None = None) -> np.ndarray:
        """Union of each source's top-k, per probe: (n, sources·k) ids, -1 for repeats/none."""
        lists = [self._source_candidates(name, templates) for name in sources or self.sources]
        merged = np.sort(np.hstack(lists), axis=1)
        repeat = np.zeros_like(merged, dtype=bool)
        repeat[:, 1:] = merged[:, 1:] == merged[:, :-1]
        return np.where(repeat, -1, merged)

    def _source_candidates(self, name: str, templates: Mapping[str, np.ndarray]) -> np.ndarray:
        k = self.config.k
        if name == FINGERS:
            queries, present = self.concatenate_fingers(templates)
        else:
            queries = templates[name]
            present = np.isfinite(queries).all(1)
        ids = np.full((len(queries), k), -1, np.int64)
        if present.any():
            ids[present] = self.source(name).search(queries[present], k)[1]
        return ids

    def score(self, templates: Mapping[str, np.ndarray], candidate_ids: np.ndarray,
              modalities: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Exact similarity of every candidate in every modality (NaN: missing on a side)."""
        out = {}
        for name in modalities or list(self.indexes):
            blocks = [self.indexes[name].score(templates[name][i:i + SCORE_BLOCK],
                                               candidate_ids[i:i + SCORE_BLOCK])
                      for i in range(0, len(candidate_ids), SCORE_BLOCK)]
            out[name] = np.vstack(blocks) if blocks else np.empty(candidate_ids.shape, np.float32)
        return out

    def identify(self, templates: Mapping[str, np.ndarray], sources: Sequence[str] | None = None,
                 modalities: Sequence[str] | None = None) -> Identifications:
        """Search a batch of probes. `sources` / `modalities` restrict the search (to measure
        one modality alone); by default every source and every modality is used."""
        if not self.calibrations:
            raise RuntimeError("calibrate() before identify()")
        ids = self.candidates(templates, sources)
        scores = self.score(templates, ids, modalities)
        fused = fuse({name: self.calibrations[name].llr(s) for name, s in scores.items()})
        fused = np.where(ids >= 0, fused, -np.inf)
        order = np.argsort(-fused, axis=1, kind="stable")
        return Identifications(
            ids=np.take_along_axis(ids, order, 1),
            scores={n: np.take_along_axis(s, order, 1) for n, s in scores.items()},
            fused=np.take_along_axis(fused, order, 1))

    # -- calibration -----------------------------------------------------------------------
    def calibrate(self, mated: Mapping[str, np.ndarray], mate_ids: np.ndarray,
                  nonmated: Mapping[str, np.ndarray]) -> dict[str, ScoreCalibration]:
        """Fit each modality's LLR on labelled candidate lists: the mate's score is genuine,
        every other candidate's (of mated and non-mated searches) an impostor's."""
        mated_ids, nonmated_ids = self.candidates(mated), self.candidates(nonmated)
        mated_scores = self.score(mated, mated_ids)
        nonmated_scores = self.score(nonmated, nonmated_ids)
        is_mate = mated_ids == np.asarray(mate_ids)[:, None]
        for name in self.indexes:
            genuine = mated_scores[name][is_mate]
            impostor = np.concatenate([mated_scores[name][~is_mate & (mated_ids >= 0)],
                                       nonmated_scores[name][nonmated_ids >= 0]])
            self.calibrations[name] = ScoreCalibration.fit(genuine, impostor)
        return self.calibrations

    # -- persistence -----------------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """One file per index, each written atomically, then the manifest (written last, so a
        crash leaves the previous manifest describing complete files)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name in self._stored_names():
            self.source(name).save(directory / f"{name}.npz")
        manifest = {
            "modalities": [{"name": s.name, "dim": s.dim, "is_finger": s.is_finger}
                           for s in self.specs.values()],
            "k": self.config.k, "finger_layout": self.config.finger_layout,
            "calibrations": {n: c.to_dict() for n, c in self.calibrations.items()},
        }
        payload = json.dumps(manifest).encode()
        write_atomically(directory / MANIFEST, lambda f: f.write(payload))

    def _stored_names(self) -> list[str]:
        return list(self.indexes) + ([FINGERS] if self.concatenated is not None else [])

    @classmethod
    def load(cls, directory: str | Path) -> "BiometricSearch":
        directory = Path(directory)
        manifest = json.loads((directory / MANIFEST).read_text())
        indexes = {name: VectorIndex.load(directory / f"{name}.npz")
                   for name in [m["name"] for m in manifest["modalities"]]}
        policy = next(iter(indexes.values())).policy
        specs = [ModalitySpec(m["name"], m["dim"], indexes[m["name"]].center, m["is_finger"])
                 for m in manifest["modalities"]]
        search = cls(specs, SearchConfig(manifest["k"], manifest["finger_layout"], policy))
        search.indexes = indexes
        if search.concatenated is not None:
            search.concatenated = VectorIndex.load(directory / f"{FINGERS}.npz")
        search.calibrations = {n: ScoreCalibration.from_dict(c)
                               for n, c in manifest["calibrations"].items()}
        return search
