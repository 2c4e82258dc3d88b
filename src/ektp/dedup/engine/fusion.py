"""Scores per modality -> calibrated log-likelihood ratios -> one fused score -> a decision.

Calibration (`ScoreCalibration.fit`): a smoothed histogram ratio made monotone.
1. Bin edges are quantiles of the genuine scores and of the impostor scores (half the bins
   each), so both the genuine bulk and the impostor tail get resolution.
2. In each bin, LLR = log p(bin | genuine) - log p(bin | impostor), with add-½ smoothing so an
   empty bin gives a finite value.
3. Pool-adjacent-violators makes the LLRs non-decreasing in the score (a higher similarity is
   never weaker evidence), and LLR(s) interpolates linearly between bin means, clamped outside:
   the calibration never claims more evidence than its training pairs can support (about
   log(number of impostor pairs)).
The pairs come from labelled candidate lists (adjudicated cases, or synthetic searches), so the
impostors are those a search actually returns, not random pairs.

Fusion sums the LLRs of the modalities present (the modalities are independent given the
identity); a missing modality contributes 0. Thresholds are set on non-mated searches only, as
the highest fused score a target false-positive identification rate (FPIR) lets through.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ektp.dedup.engine.decision import ADJUDICATE, DUPLICATE, SINGLE


@dataclass(frozen=True)
class ScoreCalibration:
    knots: np.ndarray  # increasing scores
    llrs: np.ndarray  # non-decreasing LLR at each knot

    @classmethod
    def fit(cls, genuine: np.ndarray, impostor: np.ndarray, bins: int = 40,
            smoothing: float = 0.5) -> "ScoreCalibration":
        genuine, impostor = _finite(genuine), _finite(impostor)
        if len(genuine) < 2 or len(impostor) < 2:
            raise ValueError("calibration needs at least two genuine and two impostor scores")
        edges = _bin_edges(genuine, impostor, bins)
        g = np.bincount(_bin_of(genuine, edges), minlength=len(edges) + 1)
        i = np.bincount(_bin_of(impostor, edges), minlength=len(edges) + 1)
        pooled = np.concatenate([genuine, impostor])
        sums = np.bincount(_bin_of(pooled, edges), weights=pooled, minlength=len(edges) + 1)
        used = (g + i) > 0
        nbins = int(used.sum())
        llr = (np.log((g[used] + smoothing) / (len(genuine) + smoothing * nbins))
               - np.log((i[used] + smoothing) / (len(impostor) + smoothing * nbins)))
        knots = sums[used] / (g + i)[used]
        return cls(knots=knots, llrs=_pool_adjacent_violators(llr, (g + i)[used]))

    def llr(self, scores: np.ndarray) -> np.ndarray:
        """LLR of each score; NaN (modality missing on either side) gives 0: no evidence."""
        scores = np.asarray(scores, dtype=np.float64)
        out = np.interp(np.nan_to_num(scores, nan=0.0), self.knots, self.llrs)
        return np.where(np.isnan(scores), 0.0, out)

    def to_dict(self) -> dict:
        return {"knots": self.knots.tolist(), "llrs": self.llrs.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "ScoreCalibration":
        return cls(knots=np.asarray(data["knots"]), llrs=np.asarray(data["llrs"]))


def _finite(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    return scores[np.isfinite(scores)]


def _bin_edges(genuine: np.ndarray, impostor: np.ndarray, bins: int) -> np.ndarray:
    inner = np.linspace(0, 1, bins // 2 + 1)[1:-1]
    return np.unique(np.concatenate([np.quantile(genuine, inner), np.quantile(impostor, inner)]))


def _bin_of(scores: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.searchsorted(edges, scores, side="right")


def _pool_adjacent_violators(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The non-decreasing sequence closest to `values` in weighted least squares."""
    means, masses, lengths = [], [], []
    for value, weight in zip(values.tolist(), weights.tolist(), strict=True):
        means.append(value)
        masses.append(float(weight))
        lengths.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            mass = masses[-2] + masses[-1]
            means[-2] = (means[-2] * masses[-2] + means[-1] * masses[-1]) / mass
            masses[-2], lengths[-2] = mass, lengths[-2] + lengths[-1]
            del means[-1], masses[-1], lengths[-1]
    return np.repeat(means, lengths)


def fuse(llrs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Sum of the per-modality LLRs; a NaN (missing modality) adds nothing."""
    arrays = [np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0) for a in llrs.values()]
    if not arrays:
        raise ValueError("nothing to fuse")
    return np.sum(arrays, axis=0)


def threshold_for_fpir(nonmated_top_scores: np.ndarray, fpir: float) -> float:
    """Lowest threshold T at which at most `fpir` of the non-mated searches return a candidate
    scoring >= T. A search that returned nothing has top score -inf."""
    tops = np.sort(np.asarray(nonmated_top_scores, dtype=np.float64))[::-1]
    allowed = int(np.floor(fpir * len(tops) + 1e-9))
    if len(tops) == 0 or allowed >= len(tops):
        return float("-inf")
    return float(np.nextafter(tops[allowed], np.inf))


def fpir_at(nonmated_top_scores: np.ndarray, threshold: float) -> float:
    return float(np.mean(np.asarray(nonmated_top_scores) >= threshold))


def fnir_at(mate_scores: np.ndarray, threshold: float) -> float:
    """Share of mated searches whose mate was not returned (NaN / -inf) or scored below T."""
    scores = np.nan_to_num(np.asarray(mate_scores, dtype=np.float64), nan=-np.inf)
    return float(np.mean(scores < threshold))


def wilson_interval(events: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95% binomial confidence interval for a rate (Wilson score interval)."""
    if trials == 0:
        return 0.0, 1.0
    p = events / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


@dataclass(frozen=True)
class DecisionThresholds:
    duplicate: float  # fused LLR at or above: a duplicate record
    adjudicate: float  # at or above: a person looks at it

    @classmethod
    def from_nonmated(cls, nonmated_top_scores: np.ndarray, duplicate_fpir: float = 0.001,
                      adjudicate_fpir: float = 0.01) -> "DecisionThresholds":
        if duplicate_fpir > adjudicate_fpir:
            raise ValueError("the duplicate threshold must be the stricter one")
        return cls(duplicate=threshold_for_fpir(nonmated_top_scores, duplicate_fpir),
                   adjudicate=threshold_for_fpir(nonmated_top_scores, adjudicate_fpir))


def decide(top_fused_llr: float, thresholds: DecisionThresholds) -> str:
    if top_fused_llr >= thresholds.duplicate:
        return DUPLICATE
    if top_fused_llr >= thresholds.adjudicate:
        return ADJUDICATE
    return SINGLE
