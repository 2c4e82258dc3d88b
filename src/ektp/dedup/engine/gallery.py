"""An in-memory biometric gallery with exact 1:N search.

Face: L2 distance between 128-d embeddings (dlib's scale: below 0.6 is the same person).
Fingers: cosine similarity per finger position, averaged over the fingers both records have.
Exact search is a matrix product over the whole gallery; a later engine swaps in FAISS.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Probe:
    face: np.ndarray | None
    fingers: dict[int, np.ndarray]


@dataclass(frozen=True)
class Hit:
    record_id: int
    face_distance: float | None
    finger_score: float | None


class _Rows:
    """A growable float32 matrix (capacity doubles) with the gallery slot of each row."""

    def __init__(self, dim: int):
        self.vectors = np.empty((64, dim), dtype=np.float32)
        self.slots = np.empty(64, dtype=np.int64)
        self.size = 0

    def add(self, slot: int, vector: np.ndarray) -> None:
        if self.size == len(self.slots):
            self.vectors = np.concatenate([self.vectors, np.empty_like(self.vectors)])
            self.slots = np.concatenate([self.slots, np.empty_like(self.slots)])
        self.vectors[self.size] = vector
        self.slots[self.size] = slot
        self.size += 1

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self.vectors[: self.size], self.slots[: self.size]


class Gallery:
    def __init__(self, face_dim: int = 128, finger_dim: int = 128):
        self.faces = _Rows(face_dim)
        self.finger_dim = finger_dim
        self.fingers: dict[int, _Rows] = {}
        self.record_ids: list[int] = []  # slot -> record id
        self._slot_of: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.record_ids)

    def __contains__(self, record_id: int) -> bool:
        return record_id in self._slot_of

    def add(self, record_id: int, probe: Probe) -> None:
        if record_id in self._slot_of:
            return
        slot = len(self.record_ids)
        self._slot_of[record_id] = slot
        self.record_ids.append(record_id)
        if probe.face is not None:
            self.faces.add(slot, probe.face)
        for position, vector in probe.fingers.items():
            self.fingers.setdefault(position, _Rows(self.finger_dim)).add(slot, vector)

    def _face_distances(self, face: np.ndarray, limit: float) -> dict[int, float]:
        matrix, slots = self.faces.view()
        distances = np.linalg.norm(matrix - face, axis=1)
        close = np.flatnonzero(distances <= limit)
        return {self.record_ids[slots[i]]: float(distances[i]) for i in close}

    def _finger_scores(self, fingers: dict[int, np.ndarray], limit: float) -> dict[int, float]:
        totals = np.zeros(len(self.record_ids), dtype=np.float64)
        counts = np.zeros(len(self.record_ids), dtype=np.int32)
        for position, vector in fingers.items():
            rows = self.fingers.get(position)
            if rows is None or not rows.size:
                continue
            matrix, slots = rows.view()
            totals[slots] += matrix @ vector
            counts[slots] += 1
        means = np.divide(totals, counts, out=np.zeros_like(totals), where=counts > 0)
        close = np.flatnonzero((counts > 0) & (means >= limit))
        return {self.record_ids[i]: float(means[i]) for i in close}

    def search(self, probe: Probe, *, face_limit: float, finger_limit: float) -> list[Hit]:
        """Every record within the face distance limit or above the finger score limit."""
        if not self.record_ids:
            return []
        faces = self._face_distances(probe.face, face_limit) if probe.face is not None else {}
        fingers = self._finger_scores(probe.fingers, finger_limit) if probe.fingers else {}
        return [Hit(rid, faces.get(rid), fingers.get(rid))
                for rid in sorted(set(faces) | set(fingers))]
