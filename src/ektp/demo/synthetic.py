"""Synthetic biometrics for the demo, tests and benchmarks (never for real people).

The model, so results can be reproduced and reasoned about:
- Face: each person has an identity vector of norm 0.72 in a random direction of R^128, plus
  a common offset shared by everyone (dlib embeddings share a large common component). A
  capture adds Gaussian noise with sigma 0.02 per dimension. Two captures of one person are
  then about 0.32 apart (L2) and two people about 1.0 apart, as dlib's ResNet behaves on real
  photos (same person below 0.6).
- Fingerprint: per finger an identity unit vector of R^128; a capture adds Gaussian noise with
  sigma 0.03 per dimension and is re-normalised, so two captures of one finger have cosine
  about 0.9 and two different fingers about 0 +- 0.09.
"""

from dataclasses import dataclass

import numpy as np

FACE_DIM = 128
FINGER_DIM = 128
FACE_IDENTITY_NORM = 0.72
FACE_NOISE = 0.02
FINGER_NOISE = 0.03
FINGERS = tuple(range(1, 11))


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


@dataclass(frozen=True)
class SyntheticPerson:
    face: np.ndarray
    fingers: dict[int, np.ndarray]


class SyntheticBiometrics:
    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.common = self.rng.normal(0, 0.05, FACE_DIM)

    def person(self) -> SyntheticPerson:
        face = FACE_IDENTITY_NORM * _unit(self.rng.normal(size=FACE_DIM))
        fingers = {pos: _unit(self.rng.normal(size=FINGER_DIM)) for pos in FINGERS}
        return SyntheticPerson(face=face, fingers=fingers)

    def capture_face(self, person: SyntheticPerson) -> np.ndarray:
        noise = self.rng.normal(0, FACE_NOISE, FACE_DIM)
        return (self.common + person.face + noise).astype(np.float32)

    def capture_fingers(self, person: SyntheticPerson) -> dict[int, list[float]]:
        return {
            pos: _unit(vec + self.rng.normal(0, FINGER_NOISE, FINGER_DIM)).tolist()
            for pos, vec in person.fingers.items()
        }
