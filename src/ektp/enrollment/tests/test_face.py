"""Face embedding on real photos (the face_recognition 1.3.0 sdist's test images).

Run scripts/fetch_test_faces.sh once to download them into .cache/test_faces/.
"""

import io
import itertools
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ektp.enrollment.face import (
    EMBEDDING_DIM,
    DlibFaceEmbedder,
    FaceError,
    decode_photo,
    face_distance,
    get_face_embedder,
    set_face_embedder,
)

SAME_PERSON = 0.6  # dlib's documented threshold for this model
OBAMA = [
    "obama.jpg",
    "obama2.jpg",
    "obama3.jpg",
    "obama_partial_face.jpg",
    "obama_partial_face2.jpg",
]
BIDEN = "biden.jpg"


def project_root() -> Path:
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").is_file():
            return folder
    raise RuntimeError("pyproject.toml not found above the test file")


@pytest.fixture(scope="module")
def photos() -> dict[str, bytes]:
    folder = project_root() / ".cache" / "test_faces"
    found = {path.name: path.read_bytes() for path in sorted(folder.glob("*.jpg"))}
    if not set(OBAMA + [BIDEN]) <= set(found):
        pytest.skip(f"sample faces missing in {folder}: run scripts/fetch_test_faces.sh")
    return found


@pytest.fixture(scope="module")
def embedder() -> DlibFaceEmbedder:
    return DlibFaceEmbedder()


@pytest.fixture(scope="module")
def embeddings(photos, embedder) -> dict[str, np.ndarray]:
    return {name: embedder.embed(data) for name, data in photos.items()}


def to_bytes(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def open_photo(photos, name: str) -> Image.Image:
    return Image.open(io.BytesIO(photos[name])).convert("RGB")


def side_by_side(*images: Image.Image, height: int = 600) -> Image.Image:
    resized = [im.resize((round(im.width * height / im.height), height)) for im in images]
    canvas = Image.new("RGB", (sum(im.width for im in resized), height), "white")
    left = 0
    for image in resized:
        canvas.paste(image, (left, 0))
        left += image.width
    return canvas


def error_code(embedder, data: bytes) -> str:
    with pytest.raises(FaceError) as caught:
        embedder.embed(data)
    return caught.value.code


def test_embedding_is_128_float32(embeddings):
    for vector in embeddings.values():
        assert vector.shape == (EMBEDDING_DIM,) and vector.dtype == np.float32
        assert np.all(np.isfinite(vector))


def test_same_person_is_close(embeddings):
    for a, b in itertools.combinations(OBAMA, 2):
        assert face_distance(embeddings[a], embeddings[b]) < SAME_PERSON, (a, b)


def test_different_person_is_far(embeddings):
    for name in OBAMA:
        assert face_distance(embeddings[name], embeddings[BIDEN]) > SAME_PERSON, name


def test_embedding_is_deterministic(photos, embedder, embeddings):
    again = embedder.embed(photos["obama.jpg"])
    np.testing.assert_array_equal(again, embeddings["obama.jpg"])


def test_blank_image_has_no_face(embedder):
    blank = to_bytes(Image.new("RGB", (640, 800), (200, 200, 200)))
    assert error_code(embedder, blank) == "face_not_found"


def test_two_faces_side_by_side_refused(photos, embedder):
    pair = side_by_side(open_photo(photos, "obama.jpg"), open_photo(photos, BIDEN))
    assert error_code(embedder, to_bytes(pair)) == "face_multiple"


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\xff\xd8\xff\xe0 truncated jpeg"],
    ids=["empty", "text", "broken-jpeg"],
)
def test_non_image_unreadable(embedder, data):
    assert error_code(embedder, data) == "photo_unreadable"


def test_truncated_photo_unreadable(photos, embedder):
    data = photos["obama2.jpg"]
    assert error_code(embedder, data[: len(data) // 3]) == "photo_unreadable"


def test_exif_rotated_photo_is_turned_upright(photos, embedder, embeddings):
    # A phone stores the sensor image sideways plus an EXIF "rotate 90° clockwise" tag (6).
    sideways = open_photo(photos, "obama.jpg").transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    vector = embedder.embed(to_bytes(sideways, exif=exif))
    assert face_distance(vector, embeddings["obama.jpg"]) < 0.2


def test_large_photo_is_downscaled_before_detection(photos, embedder, embeddings):
    image = open_photo(photos, "obama2.jpg")
    large = to_bytes(image.resize((image.width * 3, image.height * 3)))
    assert max(decode_photo(large).shape[:2]) <= 1024
    assert face_distance(embedder.embed(large), embeddings["obama2.jpg"]) < 0.2


def test_png_and_greyscale_accepted(photos, embedder, embeddings):
    grey = open_photo(photos, "obama.jpg").convert("L")
    vector = embedder.embed(to_bytes(grey, "PNG"))
    assert face_distance(vector, embeddings["obama.jpg"]) < SAME_PERSON


def test_concurrent_threads_match_serial_results(photos, embedder, embeddings):
    names = ["obama.jpg", BIDEN, "obama3.jpg", "obama2.jpg"] * 2
    results: dict[int, np.ndarray] = {}

    def work(index: int, name: str) -> None:
        results[index] = embedder.embed(photos[name])

    threads = [threading.Thread(target=work, args=item) for item in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, name in enumerate(names):
        np.testing.assert_array_equal(results[index], embeddings[name])


def test_face_distance():
    a = np.zeros(EMBEDDING_DIM, dtype=np.float32)
    b = np.full(EMBEDDING_DIM, 0.5, dtype=np.float32)
    assert face_distance(a, a) == 0.0
    assert face_distance(a, b) == pytest.approx(face_distance(b, a))
    assert face_distance(a, b) == pytest.approx(0.5 * np.sqrt(EMBEDDING_DIM))
    with pytest.raises(ValueError):
        face_distance(a, np.zeros(64))


def test_default_embedder_is_shared_and_swappable():
    class FakeEmbedder:
        def embed(self, image_bytes: bytes) -> np.ndarray:
            return np.ones(EMBEDDING_DIM, dtype=np.float32)

    default = get_face_embedder()
    assert isinstance(default, DlibFaceEmbedder) and get_face_embedder() is default
    fake = FakeEmbedder()
    try:
        set_face_embedder(fake)
        assert get_face_embedder() is fake
    finally:
        set_face_embedder(None)
    assert isinstance(get_face_embedder(), DlibFaceEmbedder)
