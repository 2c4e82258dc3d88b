"""Synthetic face and fingerprint templates for tests and benchmarks, never for real decisions.

The model, per modality (every number is a field of `ModalityModel` / `PopulationModel`):

* Identity: a unit vector in R^d. By default identities lie on a smooth low-dimensional manifold:
  a latent point z ~ N(0, I_k) (k = `intrinsic_dim`, 16 for faces) is mapped to d random Fourier
  features cos(z·Ω + β) (Ω ~ N(0, 1/bandwidth²)), centred with their exact population mean and
  L2-normalised. Two identities then have cosine ≈ exp(-|z - z'|² / 2·bandwidth²) plus the
  features' sampling noise. Face embeddings are measured to have an intrinsic dimension of
  12-16 (Gong, Boddeti and Jain, CVPR 2019); fingers use 16 too, an assumption (no estimate for
  fixed-length fingerprint templates is known to us). `isotropic_modalities()` gives identities
  uniform on the sphere instead: the worst case for approximate search.
* Capture: unit(identity + σ·g/√d), g ~ N(0, I). Two normal captures of one person have cosine
  1/(1+σ²) = `genuine` (0.75 for faces: dlib's genuine 0.95 once centred, see `common`);
  with probability `poor_rate` a capture is poor (blur, pose, worn or dry finger) and scores
  `poor_genuine` against a normal capture. A capture may be missing (`missing_rate`): NaN row.
* Common component: raw = mean + r·capture with r² = (1 - common)/common, so that two different
  people score `common` before centring (dlib: impostor cosine ≈ 0.8, genuine ≈ 0.95).
* Modalities: the face (128-d, genuine 0.75, 3% poor) and the right and left index fingers, the
  two the e-KTP chip stores (128-d each, genuine 0.70, 6% poor, 0.5% missing).
* Hard tail: `lookalike_share` of the register are in families of `family_size` whose face
  identities are unit(centre + τ·g) with cosine `relative_similarity` between members; the
  fingers of relatives are independent. `relative_share` of new applicants (non-mated probes) are
  a new member of an enrolled family.

Everything is deterministic given the seed; person i's identity depends only on (seed, i), so a
gallery of 1 M is generated chunk by chunk and mated probes are made later without keeping it.
"""

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

FACE = "face"
RIGHT_INDEX = "right_index"
LEFT_INDEX = "left_index"
CHUNK = 16_384

Templates = dict[str, np.ndarray]  # modality -> (n, dim) float32, NaN rows where missing


@dataclass(frozen=True)
class ModalityModel:
    dim: int = 128
    intrinsic_dim: int | None = 16
    bandwidth: float = 2.5
    genuine: float = 0.75
    poor_rate: float = 0.03
    poor_genuine: float = 0.35
    missing_rate: float = 0.0
    common: float = 0.0

    @property
    def noise(self) -> float:
        return float(np.sqrt(1 / self.genuine - 1))

    @property
    def poor_noise(self) -> float:
        return float(np.sqrt(1 / (self.poor_genuine**2 * (1 + self.noise**2)) - 1))


def _default_modalities() -> dict[str, ModalityModel]:
    finger = ModalityModel(intrinsic_dim=16, bandwidth=2.5, genuine=0.7, poor_rate=0.06,
                           poor_genuine=0.3, missing_rate=0.005)
    return {FACE: ModalityModel(common=0.8), RIGHT_INDEX: finger, LEFT_INDEX: finger}


def isotropic_modalities() -> dict[str, ModalityModel]:
    """The same scores with identities uniform on the sphere: the hardest case for an ANN index."""
    return {name: ModalityModel(**{**m.__dict__, "intrinsic_dim": None})
            for name, m in _default_modalities().items()}


@dataclass(frozen=True)
class PopulationModel:
    modalities: dict[str, ModalityModel] = field(default_factory=_default_modalities)
    lookalike_share: float = 0.02
    family_size: int = 3
    relative_similarity: float = 0.85
    relative_share: float = 0.003
    lookalike_modalities: tuple[str, ...] = (FACE,)


def unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


class _IdentityMap:
    """Latent point -> identity unit vector for one modality (random Fourier features)."""

    def __init__(self, model: ModalityModel, rng: np.random.Generator):
        self.model = model
        k, d = model.intrinsic_dim or 1, model.dim
        self.omega = (rng.standard_normal((k, d)) / model.bandwidth).astype(np.float32)
        self.beta = rng.uniform(0, 2 * np.pi, d).astype(np.float32)
        # E[cos(z·ω + β)] for z ~ N(0, I): subtracting it centres the features exactly.
        self.mean = np.cos(self.beta) * np.exp(-0.5 * (self.omega**2).sum(0))
        self.common_mean = unit_rows(rng.standard_normal((1, d)))[0]

    def identities(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.model.intrinsic_dim is None:
            return unit_rows(rng.standard_normal((n, self.model.dim), dtype=np.float32))
        z = rng.standard_normal((n, self.model.intrinsic_dim), dtype=np.float32)
        return unit_rows(np.cos(z @ self.omega + self.beta) - self.mean)

    def capture(self, identities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Raw templates (with the common component) of one capture of each identity."""
        m, (n, d) = self.model, identities.shape
        poor = rng.random(n) < m.poor_rate
        sigma = np.where(poor, m.poor_noise, m.noise).astype(np.float32)[:, None]
        noise = rng.standard_normal((n, d), dtype=np.float32) * (sigma / np.sqrt(d))
        captures = unit_rows(identities + noise)
        if m.common > 0:
            captures = self.common_mean + np.sqrt((1 - m.common) / m.common) * captures
        captures[rng.random(n) < m.missing_rate] = np.nan
        return captures.astype(np.float32)


class SyntheticPopulation:
    """A register of `size` enrolled people (record id = person index) and new applicants."""

    def __init__(self, size: int, model: PopulationModel | None = None, seed: int = 0):
        self.size, self.model, self.seed = size, model or PopulationModel(), seed
        self.maps = {name: _IdentityMap(m, self._rng("map", i))
                     for i, (name, m) in enumerate(self.model.modalities.items())}

    @property
    def modalities(self) -> list[str]:
        return list(self.model.modalities)

    def _rng(self, *key: object) -> np.random.Generator:
        words = [zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in key]
        return np.random.default_rng([self.seed, *words])

    def _families_in_chunk(self, chunk: int) -> int:
        stop = min(self.size, (chunk + 1) * CHUNK) - chunk * CHUNK
        return int(self.model.lookalike_share * stop) // self.model.family_size

    def _family_centres(self, name: str, chunk: int) -> np.ndarray:
        families = self._families_in_chunk(chunk)
        return self.maps[name].identities(self._rng("families", name, chunk), families)

    def _relatives(self, centres: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        tau = np.sqrt(1 / self.model.relative_similarity - 1)
        noise = rng.standard_normal(centres.shape, dtype=np.float32)
        return unit_rows(centres + noise * (tau / np.sqrt(centres.shape[1])))

    def _chunk_identities(self, name: str, chunk: int) -> np.ndarray:
        count = min(self.size, (chunk + 1) * CHUNK) - chunk * CHUNK
        rng = self._rng("people", name, chunk)
        identities = self.maps[name].identities(rng, count)
        if name in self.model.lookalike_modalities:
            centres = np.repeat(self._family_centres(name, chunk), self.model.family_size, axis=0)
            identities[: len(centres)] = self._relatives(centres, rng)
        return identities

    def gallery(self, start: int = 0,
                stop: int | None = None) -> Iterator[tuple[np.ndarray, Templates]]:
        """Enrollment templates, chunk by chunk: (record ids, templates)."""
        stop = self.size if stop is None else stop
        for chunk in range(start // CHUNK, (stop - 1) // CHUNK + 1):
            first = chunk * CHUNK
            ids = np.arange(first, min(stop, first + CHUNK), dtype=np.int64)
            ids = ids[ids >= start]
            yield ids, {name: self._capture_chunk(name, chunk, "enrol")[ids - first]
                        for name in self.modalities}

    def _capture_chunk(self, name: str, chunk: int, purpose: str) -> np.ndarray:
        return self.maps[name].capture(self._chunk_identities(name, chunk),
                                       self._rng(purpose, name, chunk))

    def mated_probes(self, count: int, stream: int = 0) -> tuple[np.ndarray, Templates]:
        """New captures of `count` distinct enrolled people: (their record ids, templates)."""
        mates = np.sort(self._rng("mates", stream).choice(self.size, count, replace=False))
        parts: dict[str, list[np.ndarray]] = {name: [] for name in self.modalities}
        for chunk in np.unique(mates // CHUNK):
            rows = mates[mates // CHUNK == chunk] - chunk * CHUNK
            for name in self.modalities:
                captures = self._capture_chunk(name, int(chunk), f"probe{stream}")
                parts[name].append(captures[rows])
        return mates, {name: np.concatenate(p) for name, p in parts.items()}

    def nonmated_probes(self, count: int, stream: int = 0) -> tuple[np.ndarray, Templates]:
        """New applicants who are not enrolled: (is-a-relative flags, templates)."""
        rng = self._rng("applicants", stream)
        relative = rng.random(count) < self.model.relative_share
        templates = {}
        for name in self.modalities:
            identities = self.maps[name].identities(rng, count)
            if name in self.model.lookalike_modalities and relative.any():
                centres = self._random_centres(name, rng, int(relative.sum()))
                identities[relative] = self._relatives(centres, rng)
            templates[name] = self.maps[name].capture(identities, rng)
        return relative, templates

    def _random_centres(self, name: str, rng: np.random.Generator, count: int) -> np.ndarray:
        chunks = [c for c in range((self.size - 1) // CHUNK + 1) if self._families_in_chunk(c)]
        if not chunks:
            return self.maps[name].identities(rng, count)
        picked = [int(c) for c in rng.choice(chunks, count)]
        return np.stack([self._family_centres(name, c)[rng.integers(self._families_in_chunk(c))]
                         for c in picked])
