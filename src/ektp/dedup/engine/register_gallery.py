"""The register's gallery for penunggalan: biometric indexes per modality plus the demographic
blocks, searched together and scored as fused log-likelihood ratios. Plain Python + numpy.

* Face: dlib-like embeddings compared by L2 distance (the settings' scale). The face index holds
  x' = [x, -|x|²/2] and is queried with q' = [q, 1]: the inner product q·x - |x|²/2 is largest
  for the nearest x, so FAISS's inner-product search (exact, or HNSW beyond
  `IndexPolicy.hnsw_from`) finds L2 neighbours, and the distance is sqrt(|q|² - 2·score).
* Fingers: one cosine index per finger position; a candidate's finger score is the mean cosine
  over the positions both recordings have (the settings' scale).
* Demographic blocking: the normalised name (names.normalise_name: titles, Muhammad/Moh.,
  Siti/Sitti, order of parts) or its phonetic key, with the birth date; and the same resident
  (NIK) recorded twice.
Candidates are the union of every source's top-k and every block hit; each is then scored in
every modality. Scores become LLRs through `ScoreCalibration` (fusion.py) and are summed.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ektp.dedup.engine.fusion import ScoreCalibration
from ektp.dedup.engine.gallery import Probe
from ektp.dedup.engine.names import normalise_name
from ektp.dedup.engine.vector_index import IndexPolicy, VectorIndex, write_atomically

FACE_DIM = 128
# Demographic evidence, as LLRs. Deliberately modest: their sum (at most 7) stays below the
# duplicate threshold, so a namesake is never a duplicate on demographics alone.
NAME_SAME_LLR, NAME_PHONETIC_LLR, DATE_SAME_LLR, SEX_DIFFERENT_LLR = 4.0, 3.0, 3.0, -2.0
MAX_DEMOGRAPHIC_LLR = NAME_SAME_LLR + DATE_SAME_LLR


@dataclass(frozen=True)
class Person:
    """Who a recording belongs to, as the blocking needs it."""

    resident_id: int
    name_key: str  # normalised name parts, sorted
    phonetic: str
    birth: int  # proleptic ordinal of the birth date, 0 = unknown
    sex: int

    @classmethod
    def of(cls, resident_id: int, name: str, birth_date, sex: int) -> "Person":
        normal = normalise_name(name)
        return cls(int(resident_id), normal.token_key, normal.phonetic_key,
                   birth_date.toordinal() if birth_date else 0, int(sex or 0))

    def namesake(self, other: "Person") -> bool:
        """The same (normalised or phonetic) name, birth date and sex."""
        same_name = (self.name_key and self.name_key == other.name_key) or (
            self.phonetic and self.phonetic == other.phonetic)
        return bool(same_name and self.birth and self.birth == other.birth
                    and self.sex == other.sex)

    def llr(self, other: "Person") -> float:
        value = 0.0
        if self.name_key and self.name_key == other.name_key:
            value += NAME_SAME_LLR
        elif self.phonetic and self.phonetic == other.phonetic:
            value += NAME_PHONETIC_LLR
        if self.birth and self.birth == other.birth:
            value += DATE_SAME_LLR
        if self.sex and other.sex and self.sex != other.sex:
            value += SEX_DIFFERENT_LLR
        return value


@dataclass(frozen=True)
class Calibrations:
    face: ScoreCalibration  # of the negated L2 distance (higher is closer)
    finger: ScoreCalibration  # of the mean cosine

    @classmethod
    def from_thresholds(cls, face_match: float, face_review: float, finger_match: float,
                        finger_review: float) -> "Calibrations":
        """The prior calibration, anchored on the operating thresholds: at the review bound a
        score is no evidence (LLR 0), at the match bound strong evidence (+6), and the LLR is
        clamped at -4 / +9 (what a few thousand impostor pairs can support). Replace it with
        `ScoreCalibration.fit` on adjudicated pairs (calibration.json in the index folder)."""
        llrs = np.array([-4.0, 0.0, 6.0, 9.0])
        face = np.array([-(face_review + 0.3), -face_review, -face_match, -(face_match - 0.2)])
        finger = np.array([finger_review - 0.3, finger_review, finger_match,
                           finger_match + 0.1])
        return cls(ScoreCalibration(face, llrs), ScoreCalibration(finger, llrs))

    def to_dict(self) -> dict:
        return {"face": self.face.to_dict(), "finger": self.finger.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> "Calibrations":
        return cls(ScoreCalibration.from_dict(data["face"]),
                   ScoreCalibration.from_dict(data["finger"]))


@dataclass
class Match:
    """One candidate of one probe, scored."""

    record_id: int
    face_distance: float | None
    finger_score: float | None
    face_llr: float
    finger_llr: float
    demographic_llr: float
    same_resident: bool
    namesake: bool

    @property
    def fused(self) -> float:
        return self.face_llr + self.finger_llr + self.demographic_llr


@dataclass
class RegisterGallery:
    finger_dim: int = 128
    policy: IndexPolicy = field(default_factory=IndexPolicy)
    face: VectorIndex = field(init=False)
    fingers: dict[int, VectorIndex] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    by_resident: dict[int, set[int]] = field(default_factory=dict)
    by_block: dict[tuple, set[int]] = field(default_factory=dict)
    known: set[int] = field(default_factory=set)  # every id seen, readable or not
    log: list[int] = field(default_factory=list)  # ids added, in order (see `since`)

    def __post_init__(self):
        self.face = VectorIndex(FACE_DIM + 1, normalize=False, policy=self.policy)

    def __len__(self) -> int:
        return len(self.people)

    def __contains__(self, record_id: int) -> bool:
        return record_id in self.known

    # -- writing -----------------------------------------------------------------------------
    def add(self, record_ids: Sequence[int], probes: Sequence[Probe],
            people: Sequence[Person]) -> None:
        """Add recordings (ids already known are skipped)."""
        fresh = [(int(r), p, who) for r, p, who in zip(record_ids, probes, people, strict=True)
                 if int(r) not in self.known]
        if not fresh:
            return
        ids = np.array([r for r, _, _ in fresh], np.int64)
        faces = [i for i, (_, p, _) in enumerate(fresh) if p.face is not None]
        if faces:
            self.face.add(ids[faces], _stored_faces(np.stack([fresh[i][1].face for i in faces])))
        positions = sorted({pos for _, p, _ in fresh for pos in p.fingers})
        for pos in positions:
            rows = [i for i, (_, p, _) in enumerate(fresh) if pos in p.fingers]
            index = self.fingers.setdefault(pos, VectorIndex(self.finger_dim, policy=self.policy))
            index.add(ids[rows], np.stack([fresh[i][1].fingers[pos] for i in rows]))
        for record_id, _, person in fresh:
            self._add_person(record_id, person)
        self.log.extend(ids.tolist())

    def _add_person(self, record_id: int, person: Person) -> None:
        self.people[record_id] = person
        self.known.add(record_id)
        self.by_resident.setdefault(person.resident_id, set()).add(record_id)
        for key in _blocks(person):
            self.by_block.setdefault(key, set()).add(record_id)

    def mark_unreadable(self, record_ids: Iterable[int]) -> None:
        self.known.update(int(r) for r in record_ids)

    def reindex(self) -> None:
        """Build the approximate indexes the sizes call for (exact search below)."""
        for index in [self.face, *self.fingers.values()]:
            if index.needs_reindex:
                index.reindex()

    def since(self, mark: int) -> list[int]:
        return self.log[mark:]

    def probes_of(self, record_ids: Sequence[int]) -> tuple[list[Probe], list[Person]]:
        """The stored recordings as probes (for an all-against-all scan: no unsealing). Faces
        are the stored raw vectors; fingers the stored, normalised ones."""
        ids = np.asarray(record_ids, np.int64)
        faces, has_face = self.face.get(ids)
        fingers = {pos: index.get(ids) for pos, index in self.fingers.items()}
        probes = [Probe(face=faces[row, :FACE_DIM] if has_face[row] else None,
                        fingers={pos: vectors[row] for pos, (vectors, present)
                                 in fingers.items() if present[row]})
                  for row in range(len(ids))]
        return probes, [self.people[int(i)] for i in ids]

    # -- searching ---------------------------------------------------------------------------
    def search(self, probes: Sequence[Probe], people: Sequence[Person], k: int,
               calibrations: Calibrations, extra: Sequence[int] = (),
               biometric: bool = True, floor: float | None = None) -> list[list[Match]]:
        """Every candidate of each probe, scored; `extra` ids are scored for every probe too
        (recordings added after a batch's search). `biometric=False` skips the index searches:
        only the demographic blocks and `extra` are candidates. With `floor`, candidates whose
        fused LLR cannot reach it (whatever their demographics) and that share no block or
        resident with the probe are left out."""
        candidates = self._candidate_ids(probes, people, k if biometric else 0, extra)
        width = max((len(c) for c in candidates), default=0)
        matrix = np.full((len(probes), max(width, 1)), -1, np.int64)
        for row, ids in enumerate(candidates):
            matrix[row, :len(ids)] = ids
        distances = self._face_distances(probes, matrix)
        finger_scores = self._finger_scores(probes, matrix)
        face_llr = calibrations.face.llr(-distances)
        finger_llr = calibrations.finger.llr(finger_scores)
        hopeless = np.zeros(matrix.shape, bool) if floor is None else (
            face_llr + finger_llr + MAX_DEMOGRAPHIC_LLR < floor)
        return [self._matches(row, ids, people[row], distances, finger_scores, face_llr,
                              finger_llr, hopeless) for row, ids in enumerate(candidates)]

    def _matches(self, row, ids, person, distances, finger_scores, face_llr, finger_llr,
                 hopeless):
        out = []
        related = self.by_resident.get(person.resident_id, set()).union(
            *(self.by_block.get(key, ()) for key in _blocks(person)))
        for col, record_id in enumerate(ids):
            if hopeless[row, col] and record_id not in related:
                continue
            other = self.people[record_id]
            out.append(Match(
                record_id=record_id, face_distance=_float(distances[row, col]),
                finger_score=_float(finger_scores[row, col]),
                face_llr=float(face_llr[row, col]), finger_llr=float(finger_llr[row, col]),
                demographic_llr=person.llr(other),
                same_resident=other.resident_id == person.resident_id,
                namesake=person.namesake(other)))
        return out

    def _candidate_ids(self, probes, people, k, extra) -> list[list[int]]:
        found = [set(extra) for _ in probes]
        for ids in self._biometric_candidates(probes, k) if k > 0 else ():
            for row, col in zip(*np.nonzero(ids >= 0), strict=True):
                found[row].add(int(ids[row, col]))
        for row, person in enumerate(people):
            found[row] |= self.by_resident.get(person.resident_id, set())
            for key in _blocks(person):
                found[row] |= self.by_block.get(key, set())
        return [sorted(r for r in ids if r in self.people) for ids in found]

    def _biometric_candidates(self, probes, k) -> Iterable[np.ndarray]:
        faces = [i for i, p in enumerate(probes) if p.face is not None]
        if faces and len(self.face):
            ids = np.full((len(probes), k), -1, np.int64)
            ids[faces] = self.face.search(_query_faces(np.stack(
                [probes[i].face for i in faces])), k)[1]
            yield ids
        for pos, index in self.fingers.items():
            rows = [i for i, p in enumerate(probes) if pos in p.fingers]
            if rows and len(index):
                ids = np.full((len(probes), k), -1, np.int64)
                ids[rows] = index.search(np.stack([probes[i].fingers[pos] for i in rows]), k)[1]
                yield ids

    def _face_distances(self, probes, matrix) -> np.ndarray:
        out = np.full(matrix.shape, np.nan, np.float64)
        rows = [i for i, p in enumerate(probes) if p.face is not None]
        if rows:
            faces = np.stack([probes[i].face for i in rows]).astype(np.float32)
            score = self.face.score(_query_faces(faces), matrix[rows]).astype(np.float64)
            squared = (faces.astype(np.float64) ** 2).sum(1)[:, None] - 2 * score
            out[rows] = np.sqrt(np.maximum(squared, 0.0))
        return out

    def _finger_scores(self, probes, matrix) -> np.ndarray:
        total = np.zeros(matrix.shape, np.float64)
        count = np.zeros(matrix.shape, np.int32)
        for pos, index in self.fingers.items():
            rows = [i for i, p in enumerate(probes) if pos in p.fingers]
            if not rows:
                continue
            queries = np.stack([probes[i].fingers[pos] for i in rows])
            score = index.score(queries, matrix[rows]).astype(np.float64)
            total[rows] += np.nan_to_num(score, nan=0.0)
            count[rows] += np.isfinite(score)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.face.save(directory / "face.npz")
        for pos, index in self.fingers.items():
            index.save(directory / f"finger-{pos}.npz")
        ids = np.array(sorted(self.people), np.int64)
        people = [self.people[i] for i in ids]
        write_atomically(directory / "people.npz", lambda f: np.savez(
            f, ids=ids, resident=np.array([p.resident_id for p in people], np.int64),
            name=np.array([p.name_key for p in people], dtype=str),
            phonetic=np.array([p.phonetic for p in people], dtype=str),
            birth=np.array([p.birth for p in people], np.int64),
            sex=np.array([p.sex for p in people], np.int64),
            unreadable=np.array(sorted(self.known - set(self.people)), np.int64)))

    @classmethod
    def load(cls, directory: Path, positions: Iterable[int], finger_dim: int,
             policy: IndexPolicy) -> "RegisterGallery":
        gallery = cls(finger_dim=finger_dim, policy=policy)
        gallery.face = VectorIndex.load(directory / "face.npz")
        gallery.fingers = {int(p): VectorIndex.load(directory / f"finger-{p}.npz")
                           for p in positions}
        with np.load(directory / "people.npz", allow_pickle=False) as data:
            for values in zip(data["ids"], data["resident"], data["name"], data["phonetic"],
                              data["birth"], data["sex"], strict=True):
                record_id, *fields = values
                gallery._add_person(int(record_id), Person(
                    int(fields[0]), str(fields[1]), str(fields[2]), int(fields[3]),
                    int(fields[4])))
            gallery.known.update(int(i) for i in data["unreadable"])
        return gallery


def _blocks(person: Person) -> list[tuple]:
    if not person.birth:
        return []
    keys = [("n", person.name_key, person.birth, person.sex)] if person.name_key else []
    if person.phonetic:
        keys.append(("p", person.phonetic, person.birth, person.sex))
    return keys


def _stored_faces(faces: np.ndarray) -> np.ndarray:
    faces = np.asarray(faces, np.float32)
    return np.hstack([faces, -0.5 * (faces.astype(np.float64) ** 2).sum(1, keepdims=True)
                      .astype(np.float32)])


def _query_faces(faces: np.ndarray) -> np.ndarray:
    faces = np.asarray(faces, np.float32)
    return np.hstack([faces, np.ones((len(faces), 1), np.float32)])


def _float(value) -> float | None:
    return None if not np.isfinite(value) else float(value)
