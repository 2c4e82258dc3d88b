"""Face templates: a swappable embedder turning a photo into a 128-d vector.

``FaceEmbedder`` is the interface the rest of the platform depends on; ``DlibFaceEmbedder`` is
the shipped implementation. It calls dlib directly with the weights shipped by the
``face_recognition_models`` package (HOG detector, 5-point landmarks, ResNet embedder), because
the ``face_recognition`` package itself needs a source-built dlib.

dlib embeddings are not unit vectors and share a large common component: compare them with
``face_distance`` (L2, < 0.6 means same person), or mean-centre and L2-normalise them before an
inner-product search.
"""

from __future__ import annotations

import io
import math
import struct
import threading
from typing import Any, Protocol

import numpy as np
from PIL import Image, ImageOps

from ektp.errors import DomainError

EMBEDDING_DIM = 128
# Detection time grows with the pixel count and a face needs only ~80 px for the HOG detector,
# so large photos are shrunk first: an enrollment photo keeps a face far above that size.
MAX_SIDE = 1024

FACE_NOT_FOUND = "face_not_found"
FACE_MULTIPLE = "face_multiple"
PHOTO_UNREADABLE = "photo_unreadable"

# What Pillow raises on corrupt, truncated or hostile input (its plugins are not uniform).
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,  # raised, not just warned, when warnings are errors
)


class FaceError(DomainError):
    """The photo cannot give one face template; ``code`` says why."""

    status = 400

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


class FaceEmbedder(Protocol):
    """Anything that turns an encoded photo of one person into a float32 vector of shape (128,)."""

    def embed(self, image_bytes: bytes) -> np.ndarray: ...


def face_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings (dlib's own comparison; < 0.6 = same person)."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    if a.shape != b.shape:
        raise ValueError(f"embeddings differ in shape: {a.shape} vs {b.shape}")
    return float(np.linalg.norm(a - b))


def decode_photo(image_bytes: bytes, *, max_side: int = MAX_SIDE) -> np.ndarray:
    """Decode to an RGB uint8 array (H, W, 3), upright and with its longest side <= max_side."""
    try:
        with Image.open(io.BytesIO(image_bytes)) as img:
            _refuse_pixel_bomb(img)
            # JPEG can decode directly at 1/2, 1/4 or 1/8 scale: far cheaper than a full decode.
            img.draft("RGB", _fit_within(img.size, max_side))
            # Phone cameras store rotation in EXIF; the detector only finds upright faces.
            upright = ImageOps.exif_transpose(img)
            rgb = upright.convert("RGB")
        rgb.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
        return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    except _DECODE_ERRORS as exc:
        raise FaceError(PHOTO_UNREADABLE, "The photo cannot be read as an image.") from exc


def _refuse_pixel_bomb(img: Image.Image) -> None:
    # Pillow only raises past twice MAX_IMAGE_PIXELS (and merely warns below that).
    width, height = img.size
    if width * height > (Image.MAX_IMAGE_PIXELS or math.inf):
        raise Image.DecompressionBombError(f"{width}x{height} pixels is over the limit")


def _fit_within(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


class _DlibModels:
    """dlib's landmark and embedding models, loaded once per process on first use."""

    _lock = threading.Lock()
    _loaded: tuple[Any, Any] | None = None

    @classmethod
    def get(cls) -> tuple[Any, Any]:
        if cls._loaded is None:
            with cls._lock:
                if cls._loaded is None:  # another thread may have loaded them while we waited
                    cls._loaded = cls._load()
        return cls._loaded

    @staticmethod
    def _load() -> tuple[Any, Any]:
        # Imported here so that importing this module (e.g. at Django start) costs nothing.
        import dlib
        import face_recognition_models as weights

        predictor = dlib.shape_predictor(weights.pose_predictor_five_point_model_location())
        encoder = dlib.face_recognition_model_v1(weights.face_recognition_model_location())
        return predictor, encoder


class _DetectorPool:
    """HOG detectors lent to one thread at a time.

    dlib's detector keeps its scanning state in the object, so one instance must not run in two
    threads at once; it releases the GIL while scanning, so one detector per busy thread lets
    detections run in parallel. Each costs ~0.25 s to build, hence kept for reuse.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[Any] = []

    def acquire(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        import dlib

        return dlib.get_frontal_face_detector()

    def release(self, detector: Any) -> None:
        with self._lock:
            self._idle.append(detector)


class DlibFaceEmbedder:
    """The shipped ``FaceEmbedder``: HOG detection, 5-point alignment, dlib ResNet embedding.

    ``upsample`` > 0 doubles the image that many times before detection, finding faces smaller
    than ~80 px at 4x the cost per step; enrollment photos do not need it.
    """

    # The ResNet keeps per-call state in its layers: one inference at a time per process.
    _inference_lock = threading.Lock()
    _detectors = _DetectorPool()

    def __init__(self, *, upsample: int = 0, max_side: int = MAX_SIDE):
        self.upsample = upsample
        self.max_side = max_side

    def embed(self, image_bytes: bytes) -> np.ndarray:
        rgb = decode_photo(image_bytes, max_side=self.max_side)
        face = self._single_face(rgb)
        predictor, encoder = _DlibModels.get()
        with self._inference_lock:
            landmarks = predictor(rgb, face)
            descriptor = encoder.compute_face_descriptor(rgb, landmarks)
        return np.asarray(descriptor, dtype=np.float32).reshape(EMBEDDING_DIM)

    def _single_face(self, rgb: np.ndarray) -> Any:
        detector = self._detectors.acquire()
        try:
            faces = detector(rgb, self.upsample)
        finally:
            self._detectors.release(detector)
        if len(faces) == 0:
            raise FaceError(FACE_NOT_FOUND, "No face was found in the photo.")
        if len(faces) > 1:
            raise FaceError(
                FACE_MULTIPLE,
                f"{len(faces)} faces were found: the photo must show the applicant alone.",
            )
        return faces[0]


_default_lock = threading.Lock()
_default: FaceEmbedder | None = None


def get_face_embedder() -> FaceEmbedder:
    """The process-wide embedder (dlib unless another was installed with set_face_embedder)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = DlibFaceEmbedder()
        return _default


def set_face_embedder(embedder: FaceEmbedder | None) -> None:
    """Swap the process-wide embedder (another model, or a fake in tests); None restores dlib."""
    global _default
    with _default_lock:
        _default = embedder
