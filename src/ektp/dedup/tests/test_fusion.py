"""Score calibration, fusion and FPIR thresholds. Plain pytest, no DB."""

import numpy as np
import pytest

from ektp.dedup.engine.decision import ADJUDICATE, DUPLICATE, SINGLE
from ektp.dedup.engine.fusion import (
    DecisionThresholds,
    ScoreCalibration,
    _pool_adjacent_violators,
    decide,
    fnir_at,
    fpir_at,
    fuse,
    threshold_for_fpir,
    wilson_interval,
)

RNG = np.random.default_rng(11)


def scores(n: int, genuine: bool, poor: float) -> np.ndarray:
    """A matcher whose genuine scores are 0.75 except a share of poor captures near 0.3."""
    if not genuine:
        return RNG.normal(0.0, 0.1, n)
    bad = RNG.random(n) < poor
    return np.where(bad, RNG.normal(0.3, 0.1, n), RNG.normal(0.75, 0.04, n))


@pytest.fixture(scope="module")
def calibration() -> ScoreCalibration:
    return ScoreCalibration.fit(scores(3_000, True, 0.05), scores(30_000, False, 0))


def test_llr_is_monotone_signed_and_bounded(calibration):
    grid = np.linspace(-1, 1, 2_001)
    llr = calibration.llr(grid)
    assert (np.diff(llr) >= 0).all()
    assert calibration.llr(np.array([0.8]))[0] > 5 > 0 > calibration.llr(np.array([-0.1]))[0]
    assert llr.max() < np.log(2 * 30_000)  # no more evidence than the impostor pairs support


def test_missing_score_is_no_evidence(calibration):
    assert calibration.llr(np.array([np.nan]))[0] == 0.0


def test_calibration_round_trips_through_a_dict(calibration):
    again = ScoreCalibration.from_dict(calibration.to_dict())
    grid = np.linspace(-1, 1, 50)
    np.testing.assert_array_equal(again.llr(grid), calibration.llr(grid))


def test_calibration_needs_both_classes():
    with pytest.raises(ValueError):
        ScoreCalibration.fit(np.array([0.9]), np.array([0.1, 0.2]))


def test_pool_adjacent_violators():
    pooled = _pool_adjacent_violators(np.array([1.0, 3.0, 2.0, 4.0, 0.0]), np.ones(5))
    np.testing.assert_allclose(pooled, [1.0, 2.25, 2.25, 2.25, 2.25])


def test_fuse_sums_llrs_and_a_missing_modality_adds_nothing():
    fused = fuse({"face": np.array([1.0, 2.0]), "finger": np.array([0.5, np.nan])})
    np.testing.assert_allclose(fused, [1.5, 2.0])
    with pytest.raises(ValueError):
        fuse({})


def test_threshold_for_fpir_lets_through_exactly_the_allowed_share():
    tops = RNG.permutation(np.arange(1_000, dtype=float))
    t = threshold_for_fpir(tops, 0.01)
    assert fpir_at(tops, t) == 0.01
    assert fpir_at(tops, np.nextafter(t, -np.inf) - 1) > 0.01  # any lower T lets more through
    assert fpir_at(tops, threshold_for_fpir(tops, 0.0)) == 0.0
    empty = np.array([-np.inf, -np.inf])  # searches that returned no candidate at all
    assert fpir_at(empty, threshold_for_fpir(empty, 0.001)) == 0.0


def test_fnir_counts_unreturned_mates_as_misses():
    assert fnir_at(np.array([5.0, np.nan, -np.inf, 1.0]), 2.0) == 0.75


def test_wilson_interval():
    low, high = wilson_interval(20, 20_000)
    assert low < 0.001 < high and high - low < 0.001
    assert wilson_interval(0, 20_000)[0] == 0.0 and wilson_interval(0, 20_000)[1] < 2e-4
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_thresholds_from_nonmated_searches_and_decisions():
    tops = RNG.normal(0, 1, 10_000)
    t = DecisionThresholds.from_nonmated(tops, duplicate_fpir=0.001, adjudicate_fpir=0.01)
    assert t.duplicate > t.adjudicate
    assert decide(t.duplicate, t) == DUPLICATE
    assert decide(t.adjudicate, t) == ADJUDICATE
    assert decide(t.adjudicate - 1e-9, t) == SINGLE
    with pytest.raises(ValueError):
        DecisionThresholds.from_nonmated(tops, duplicate_fpir=0.1, adjudicate_fpir=0.01)


def test_fusion_beats_either_modality_when_failures_are_independent():
    """Face and finger each fail on 5% of captures, independently: at FPIR 1% each alone
    misses about 5% of mates; the fused LLR misses far fewer."""
    n_mated, n_nonmated, gallery = 4_000, 4_000, 200
    cal = {m: ScoreCalibration.fit(scores(3_000, True, 0.05), scores(30_000, False, 0))
           for m in ("face", "finger")}
    mated = {m: cal[m].llr(scores(n_mated, True, 0.05)) for m in cal}
    # A non-mated search's top = its best impostor among `gallery` candidates (fused per
    # candidate first, then the maximum, exactly as the pipeline does).
    nonmated = {m: cal[m].llr(scores(n_nonmated * gallery, False, 0)).reshape(n_nonmated, -1)
                for m in cal}
    fnir = {}
    runs = {"face": ["face"], "finger": ["finger"], "fused": ["face", "finger"]}
    for label, used in runs.items():
        tops = fuse({m: nonmated[m] for m in used}).max(axis=1)
        fnir[label] = fnir_at(fuse({m: mated[m] for m in used}), threshold_for_fpir(tops, 0.01))
    assert fnir["fused"] < 0.5 * min(fnir["face"], fnir["finger"])
    assert min(fnir["face"], fnir["finger"]) > 0.02
