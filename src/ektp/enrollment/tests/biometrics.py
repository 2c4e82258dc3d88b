"""Synthetic biometrics for tests: a small documented generative model, plus tiny valid images.

The model (numbers for 128-d templates):

- **Fingers.** Each person has, per finger position, a random unit vector (isotropic: uniform on
  the sphere). A capture is that vector plus Gaussian noise (sigma ``FINGER_NOISE`` per
  component), re-normalised, as a capture device hands over a unit template. Two captures of
  one finger have cosine ~ 1 / (1 + 128 sigma^2) ~ 0.90 (match threshold 0.80); two different
  fingers have cosine ~ N(0, 1/128), |cos| < 0.35 at 4 sigma (review threshold 0.65).
- **Face.** dlib embeddings are not unit vectors and share a large common component: a face is
  ``FACE_MEAN`` (common to everyone) + a per-person offset (sigma ``FACE_SPREAD``); a capture
  adds noise (sigma ``FACE_NOISE``). At dlib's scale two captures of one person are
  sqrt(2 * 128) * 0.022 ~ 0.35 apart (L2) and two people sqrt(2 * 128 * (0.066^2 + 0.022^2))
  ~ 1.1 apart (match <= 0.5, review <= 0.6).

With 128 dimensions these distances concentrate (relative spread ~ 6%), so a test built on the
model does not depend on luck; every generator takes a seeded ``numpy`` Generator anyway.
"""

import io
import json
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from ektp.enrollment.face import FACE_NOT_FOUND, FaceError

DIM = 128
FINGER_NOISE = 0.03
FACE_SPREAD = 0.066
FACE_NOISE = 0.022
# The common component of dlib embeddings (fixed, so every generated face shares it).
FACE_MEAN = np.random.default_rng(20130624).normal(0.0, 0.09, DIM).astype(np.float32)
DEFAULT_FINGERS = (1, 2, 6, 7)  # both thumbs and index fingers


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@dataclass(frozen=True)
class Identity:
    """A person's underlying biometrics; captures are noisy samples of it."""

    face: np.ndarray
    fingers: dict[int, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    """One capture session's templates, as a station would send them."""

    face: np.ndarray
    fingers: dict[int, np.ndarray]

    def fingerprints(self) -> dict[int, list[float]]:
        """The fingers as the service's ``Capture.fingerprints`` expects them."""
        return {position: vector.tolist() for position, vector in self.fingers.items()}

    def fingerprints_json(self) -> str:
        """The fingers as the API's form field: JSON text keyed by position."""
        return json.dumps({str(p): v.tolist() for p, v in self.fingers.items()})


def new_identity(rng: np.random.Generator, fingers=DEFAULT_FINGERS) -> Identity:
    face = FACE_MEAN + rng.normal(0.0, FACE_SPREAD, DIM)
    return Identity(face=face.astype(np.float32),
                    fingers={p: unit(rng.normal(size=DIM)) for p in fingers})


def capture(identity: Identity, rng: np.random.Generator) -> Sample:
    """A fresh recording of the same person: same face and fingers, new noise."""
    face = identity.face + rng.normal(0.0, FACE_NOISE, DIM)
    fingers = {p: unit(v + rng.normal(0.0, FINGER_NOISE, DIM))
               for p, v in identity.fingers.items()}
    return Sample(face=face.astype(np.float32), fingers=fingers)


def lookalike(identity: Identity, rng: np.random.Generator) -> Identity:
    """Someone with this person's face but their own fingers (a twin, or a face-only match)."""
    other = new_identity(rng, fingers=tuple(identity.fingers))
    return Identity(face=identity.face, fingers=other.fingers)


def png(width: int = 240, height: int = 320, colour=(205, 180, 160)) -> bytes:
    """A small valid PNG (no face in it: tests pass ``face_template`` instead)."""
    image = Image.new("RGB", (width, height), colour)
    ImageDraw.Draw(image).ellipse((width // 4, height // 5, 3 * width // 4, 4 * height // 5),
                                  fill=(170, 140, 120))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class PhotoFaces:
    """A ``FaceEmbedder`` for API tests: each photo made by ``photo_of(face)`` embeds to that
    face; any other photo has no face in it (face_not_found), like a real detector's refusal."""

    def __init__(self) -> None:
        self._faces: dict[bytes, np.ndarray] = {}

    def photo_of(self, face: np.ndarray) -> bytes:
        n = len(self._faces) + 1
        photo = png(colour=(n % 256, n // 256 % 256, 90))  # a distinct picture per face
        self._faces[photo] = np.asarray(face, dtype=np.float32)
        return photo

    def embed(self, image_bytes: bytes) -> np.ndarray:
        face = self._faces.get(bytes(image_bytes))
        if face is None:
            raise FaceError(FACE_NOT_FOUND, "No face was found in the photo.")
        return face


def signature_png() -> bytes:
    image = Image.new("L", (300, 100), 255)
    ImageDraw.Draw(image).line((20, 70, 90, 20, 160, 80, 280, 30), fill=0, width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
