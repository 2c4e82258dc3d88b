"""Demographic linkage, part 4: the three-class model (match / relative / stranger), its
unsupervised estimation and the scoring of pairs."""

import math
from dataclasses import dataclass, field

import numpy as np

from ektp.dedup.engine.demographic_blocking import _cap_blocks, block_pair_count, block_pairs
from ektp.dedup.engine.demographic_compare import compare
from ektp.dedup.engine.demographic_fields import (
    ADDRESS_STATES,
    COMPARISONS,
    DATE_EXACT,
    DATE_NIK,
    DEFAULT_M,
    FAMILY_KK,
    MOTHER_STATES,
    N_LEVELS,
    NAME_EXACT,
    NAME_PHONETIC,
    NAME_SHARE,
    EngineConfig,
    Prepared,
    _combine,
)

# --- Model ----------------------------------------------------------------------------------

@dataclass
class Model:
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    r: dict[str, np.ndarray] | None
    log_prior_match: float
    log_prior_relative: float
    stats: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        def arrays(d):
            return None if d is None else {k: [float(x) for x in v] for k, v in d.items()}
        return {"m": arrays(self.m), "u": arrays(self.u), "r": arrays(self.r),
                "log_prior_match": self.log_prior_match,
                "log_prior_relative": self.log_prior_relative, "stats": self.stats}

    @classmethod
    def from_dict(cls, data: dict) -> "Model":
        def arrays(d):
            return None if d is None else {k: np.asarray(v) for k, v in d.items()}
        return cls(arrays(data["m"]), arrays(data["u"]), arrays(data["r"]),
                   data["log_prior_match"], data["log_prior_relative"], data.get("stats", {}))


def _frequencies(levels: np.ndarray, pseudo: float = 0.5) -> dict[str, np.ndarray]:
    out = {}
    for c, name in enumerate(COMPARISONS):
        col = levels[:, c]
        counts = np.bincount(col[col >= 0], minlength=N_LEVELS[name]).astype(float)
        out[name] = (counts + pseudo) / (counts.sum() + pseudo * N_LEVELS[name])
    return out


def _strong_family_levels() -> np.ndarray:
    mother = np.repeat(np.arange(len(MOTHER_STATES)), len(ADDRESS_STATES))
    address = np.tile(np.arange(len(ADDRESS_STATES)), len(MOTHER_STATES))
    return np.append((mother == 2) | (address >= 3), True)


# Agreement this strong on a field is rare between strangers and usual between duplicates.
STRONG = {
    "name": np.arange(N_LEVELS["name"]) >= NAME_PHONETIC,
    "birth_date": np.arange(N_LEVELS["birth_date"]) >= DATE_NIK,
    "nik": np.arange(N_LEVELS["nik"]) == 2,
    "family": _strong_family_levels(),
}


def _stranger_frequencies(levels: np.ndarray) -> dict[str, np.ndarray]:
    """u per field from random pairs, leaving out pairs that agree strongly on some OTHER field:
    in a small file full of duplicates (FEBRL3: one random pair in 2,000 is a match) random
    pairs include matches, and "same ID number" would otherwise look common among strangers.
    Strangers' fields are independent, so the conditioning does not bias u."""
    strong = {}
    for name, mask in STRONG.items():
        col = levels[:, COMPARISONS.index(name)]
        strong[name] = (col >= 0) & mask[np.maximum(col, 0)]
    out = {}
    for name in COMPARISONS:
        others = [v for k, v in strong.items() if k != name]
        keep = ~np.logical_or.reduce(others) if others else np.ones(len(levels), bool)
        out[name] = _frequencies(levels[keep])[name]
    return out


# Levels that mean "the same value": their chance among random pairs follows from the value
# counts exactly, which is far less noisy than a sample (1 pair in 29,000 shares a birth date).
EXACT_LEVELS = (("birth_date", DATE_EXACT, "dob_code"), ("sex", 1, "sex"),
                ("birth_place", 2, "bplace_code"))


def _exact_agreement(p: Prepared, u: dict) -> None:
    """Replace the sampled frequency of each "same value" level by sum_v f_v^2 (the chance two
    random records share a value), rescaling the other levels to keep the total."""
    if p.source is not None:
        return  # linking two files: the sampled cross-file frequencies are what we want
    for name, level, column in EXACT_LEVELS:
        codes = p[column][p[column] > (0 if column == "sex" else -1)]
        if len(codes) < 2:
            continue
        counts = np.bincount(codes).astype(float)
        exact = max((counts * (counts - 1)).sum() / (len(codes) * (len(codes) - 1)), 1e-12)
        rest = np.delete(np.arange(len(u[name])), level)
        u[name][rest] *= (1 - exact) / u[name][rest].sum()
        u[name][level] = exact


def _total_pairs(p: Prepared) -> float:
    if p.source is None:
        return p.n * (p.n - 1) / 2
    _, counts = np.unique(p.source, return_counts=True)
    return float((counts.sum() ** 2 - (counts ** 2).sum()) / 2)


def _random_pairs(p: Prepared, count: int, rng: np.random.Generator):
    i = rng.integers(0, p.n, size=count)
    j = rng.integers(0, p.n, size=count)
    keep = i != j
    if p.source is not None:
        keep &= p.source[i] != p.source[j]
    return np.minimum(i, j)[keep], np.maximum(i, j)[keep]


def _relative_pairs(p: Prepared, max_pairs: int):
    """Pairs on the same KK (or, without KK numbers, with the same mother and address)."""
    key = p["kk_code"]
    if (key < 0).all():
        key = _combine(p["mother_code"], p["address_code"])
    key = _cap_blocks(key, None, 30)
    chunks = list(block_pairs(key, max_pairs))
    if not chunks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), key
    return np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks]), key


def _sampled_block_pairs(key: np.ndarray, target: int, rng: np.random.Generator):
    """A random subset of blocks holding about `target` pairs, and the sampled share."""
    total = block_pair_count(key)
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 1.0
    share = min(1.0, target / total)
    if share < 1.0:
        chosen = rng.random(int(key.max()) + 1) < share
        key = np.where((key >= 0) & chosen[np.maximum(key, 0)], key, -1)
    chunks = list(block_pairs(key, 10 * target))
    i = np.concatenate([c[0] for c in chunks]) if chunks else np.zeros(0, np.int64)
    j = np.concatenate([c[1] for c in chunks]) if chunks else np.zeros(0, np.int64)
    return i, j, share


@dataclass
class _Session:
    m: dict[str, np.ndarray]
    match_share: float
    pairs: int


def _em(levels: np.ndarray, use: list[str], u, r, iterations: int,
        stranger_adjust: np.ndarray | None = None) -> _Session:
    """EM for the match frequencies only; stranger (u) and relative (r) frequencies stay fixed.
    `stranger_adjust` (per pair, log) corrects u for the pair's name frequency. Runs on the
    distinct patterns, so its cost does not grow with the number of pairs."""
    adjust = np.zeros(len(levels)) if stranger_adjust is None else stranger_adjust
    patterns, counts, adjust = _patterns(levels[:, [COMPARISONS.index(c) for c in use]],
                                         np.round(adjust * 4) / 4)
    if counts.sum() == 0:  # nothing to learn from: keep the sensible defaults
        return _Session({c: np.asarray(DEFAULT_M[c], dtype=float) for c in use}, 0.0, 0)
    m = {c: np.asarray(DEFAULT_M[c], dtype=float) for c in use}
    shares = np.array([0.01, 0.01 if r else 0.0, 0.98])  # start from "matches are rare"

    def class_logs(table):
        out = np.zeros(len(patterns))
        for k, c in enumerate(use):
            lv = patterns[:, k]
            out += np.where(lv >= 0, np.log(table[c][np.maximum(lv, 0)]), 0.0)
        return out

    fixed_s = class_logs(u) + adjust
    fixed_r = class_logs(r) if r else np.full(len(patterns), -np.inf)
    for _ in range(iterations):
        logs = np.stack([class_logs(m), fixed_r, fixed_s], axis=1) + np.log(shares + 1e-300)
        post = np.exp(logs - logs.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        weights = post * counts[:, None]
        new_shares = weights.sum(axis=0) / counts.sum()
        m = _m_step(patterns, weights[:, 0], use)
        if np.abs(new_shares - shares).max() < 1e-7:
            shares = new_shares
            break
        shares = new_shares
    return _Session(m, float(shares[0]), int(counts.sum()))


def _patterns(levels: np.ndarray, extra: np.ndarray):
    """Distinct (level row, extra value) combinations, how often each occurs, and its extra
    value (rows packed into one int64, because np.unique on rows is slow)."""
    shifted = levels.astype(np.int64) + 1  # -1 (missing) becomes 0
    packed = np.unique(extra, return_inverse=True)[1].ravel().astype(np.int64)
    for c in range(levels.shape[1]):
        packed = packed * 32 + shifted[:, c]
    _, first, counts = np.unique(packed, return_index=True, return_counts=True)
    return levels[first], counts.astype(float), extra[first]


def _m_step(patterns: np.ndarray, match_weight: np.ndarray, use: list[str]) -> dict:
    """Match frequencies from the expected matches, with DEFAULT_M as a prior worth 10 pairs."""
    m = {}
    for k, c in enumerate(use):
        lv = patterns[:, k]
        counts = np.bincount(lv[lv >= 0], weights=match_weight[lv >= 0],
                             minlength=N_LEVELS[c])
        prior = np.asarray(DEFAULT_M[c]) * 10.0
        m[c] = (counts + prior) / (counts.sum() + prior.sum())
    return m


def estimate_model(p: Prepared, config: EngineConfig) -> Model:
    rng = np.random.default_rng(config.seed)
    samples = min(max(config.u_sample_pairs, 2 * p.n), 5 * config.u_sample_pairs)
    ri, rj = _random_pairs(p, min(samples, int(_total_pairs(p)) * 4 + 10), rng)
    rel_i, rel_j, rel_key = _relative_pairs(p, config.chunk_pairs)
    strangers = ~((rel_key[ri] == rel_key[rj]) & (rel_key[ri] >= 0))
    u = _stranger_frequencies(compare(p, ri[strangers], rj[strangers], config.workers))
    _exact_agreement(p, u)
    r, log_relative = _relative_model(p, rel_i, rel_j, config)
    sessions = {}
    for label, key, cap, leave_out in (
        ("birth_date", p["dob_code"], config.max_block, {"birth_date"}),
        # Pairs with the same name (a name shared by at most 200 people: a common name brings
        # many strangers and few duplicates). Sex, the family and the birth place go with the
        # name (naming styles follow region and religion, so do mothers' names): left out.
        ("name", p["name_key"], 200, {"name", "sex", "family", "birth_place"}),
    ):
        i, j, share = _sampled_block_pairs(_cap_blocks(key, None, cap), config.em_sample_pairs,
                                           rng)
        if p.source is not None:
            keep = p.source[i] != p.source[j]
            i, j = i[keep], j[keep]
        use = [c for c in COMPARISONS if c not in leave_out]
        levels = compare(p, i, j, config.workers)
        # Common names and common mothers' names meet by chance more often than average.
        adjust = _frequency_adjustment(p, u, i, j, levels, names="name" in use)
        session_r = r
        if r is not None and label == "birth_date":  # born the same day: relatives are twins
            session_r = {**r, "name": r[TWIN_NAME]}
        session = _em(levels, use, u, session_r, config.em_iterations, adjust)
        session.pairs = int(len(i) / share) if _plausible(session) else 0
        sessions[label] = session
    m = _combine_sessions(sessions)
    log_match = _log_prior_match(p, sessions, m)
    stats = {"random_pairs": int(strangers.sum()), "relative_pairs": int(len(rel_i)),
             **{f"em_{k}": {"pairs": s.pairs, "match_share": s.match_share,
                            "plausible": s.pairs > 0} for k, s in sessions.items()}}
    return Model(m, u, r, log_match, log_relative, stats)


def _plausible(session: _Session) -> bool:
    """Duplicates agree on their birth date (exactly or through a NIK) and on their name
    (exactly or phonetically) at least a quarter of the time. A session whose "matches" do not
    has locked onto something else (say namesakes in one family) and is set aside: its fields
    keep the other session's or the default frequencies."""
    for name in ("birth_date", "name"):
        if name in session.m and session.m[name][STRONG[name]].sum() < 0.25:
            return False
    return True


def _relative_model(p: Prepared, i, j, config: EngineConfig):
    """Level frequencies among people on the same KK who are not obviously the same person."""
    if len(i) < 50:
        return None, -math.inf
    levels = compare(p, i, j, config.workers)
    likely_same = (levels[:, 0] >= NAME_PHONETIC) & (levels[:, 1] >= DATE_NIK)
    kept = levels[~likely_same]
    r = _frequencies(kept)
    r[TWIN_NAME] = _twin_names(levels, r["name"])
    return r, math.log(max(len(kept), 1) / _total_pairs(p))


TWIN_NAME = "name|twins"


def _twin_names(levels: np.ndarray, sibling: np.ndarray) -> np.ndarray:
    """How twins' names compare. Parents give twins alike names ("AHMAD HAFIZ" / "AHMAD
    MULYADI", "RIZKI" / "RIZKA") far more often than other siblings, so relatives born the same
    day get their own name frequencies: measured on same-KK, same-day pairs whose names are at
    most "share a part" (above that a pair may be one person twice), with the siblings' share
    of the higher levels."""
    name, dob = levels[:, 0], levels[:, 1]
    low = name[(dob == DATE_EXACT) & (name >= 0) & (name <= NAME_SHARE)]
    if len(low) < 20:
        return sibling
    out = sibling.copy()
    counts = np.bincount(low, minlength=NAME_SHARE + 1)[:NAME_SHARE + 1] + 0.5
    out[:NAME_SHARE + 1] = sibling[:NAME_SHARE + 1].sum() * counts / counts.sum()
    return out


def _combine_sessions(sessions: dict[str, _Session]) -> dict[str, np.ndarray]:
    """Each field's m from the session(s) whose pairs did not agree on it by construction,
    weighted by the matches each session saw."""
    m = {}
    for c in COMPARISONS:
        found = [(s.m[c], s.match_share * s.pairs) for s in sessions.values() if c in s.m]
        total = sum(w for _, w in found) or 1.0
        m[c] = sum(v * w for v, w in found) / total
        if not np.isfinite(m[c]).all() or m[c].sum() == 0:
            m[c] = np.asarray(DEFAULT_M[c])
        m[c] = m[c] / m[c].sum()
    return m


def _log_prior_match(p: Prepared, sessions: dict[str, _Session], m: dict) -> float:
    """Expected matches = matches seen with an equal birth date / share of matches whose birth
    dates are equal (and the same through the name session); the prior is that over all pairs.
    Bounded between one duplicate in the file and ten per record."""
    estimates = []
    for label, level in (("birth_date", DATE_EXACT), ("name", NAME_EXACT)):
        s = sessions[label]
        if s.pairs and s.match_share > 0:
            estimates.append(s.match_share * s.pairs / max(m[label][level], 1e-3))
    total = _total_pairs(p)
    expected = math.exp(np.mean(np.log(estimates))) if estimates else p.n * 0.01
    expected = min(max(expected, 1.0), p.n * 10.0)
    return math.log(expected / total)


# --- Scoring --------------------------------------------------------------------------------

def _class_log(levels: np.ndarray, table: dict) -> np.ndarray:
    out = np.zeros(len(levels))
    for c, name in enumerate(COMPARISONS):
        lv = levels[:, c]
        out += np.where(lv >= 0, np.log(table[name][np.maximum(lv, 0)]), 0.0)
    return out


def class_logs(p: Prepared, model: Model, i, j, levels) -> np.ndarray:
    """Log prior x likelihood of each pair under match, relative and stranger (columns)."""
    log_m = model.log_prior_match + _class_log(levels, model.m)
    log_s = math.log1p(-math.exp(model.log_prior_match)) + _class_log(levels, model.u)
    log_s += _frequency_adjustment(p, model.u, i, j, levels)
    log_r = np.full(len(levels), -np.inf)
    if model.r is not None:
        log_r = model.log_prior_relative + _class_log(levels, model.r) + _twin_adjustment(
            model.r, levels)
    return np.stack([log_m, log_r, log_s], axis=1)


def score_levels(p: Prepared, model: Model, i, j, levels) -> tuple[np.ndarray, np.ndarray]:
    """Posterior match probability and match weight (log2 odds, match vs relative + stranger)."""
    logs = class_logs(p, model, i, j, levels)
    log_odds = logs[:, 0] - np.logaddexp(logs[:, 1], logs[:, 2])
    return 1.0 / (1.0 + np.exp(-log_odds)), log_odds / math.log(2)


def _twin_adjustment(r: dict, levels: np.ndarray) -> np.ndarray:
    """Relatives born the same day are twins: their names follow the twins' frequencies."""
    name = levels[:, 0]
    twins = (levels[:, 1] == DATE_EXACT) & (name >= 0)
    out = np.zeros(len(levels))
    if TWIN_NAME in r:
        out[twins] = np.log(r[TWIN_NAME][name[twins]]) - np.log(r["name"][name[twins]])
    return out


def _frequency_adjustment(p: Prepared, u: dict, i, j, levels, names: bool = True):
    """Two strangers both called SITI AMINAH is no surprise; two called TUMINAH SIHOMBING is.
    When names agree exactly or phonetically (if `names`), and when mothers' names are the
    same, the strangers' frequency is that name's own share of the register instead of the
    average (a log correction to u)."""
    out = np.zeros(len(i))
    name, family = levels[:, 0], levels[:, COMPARISONS.index("family")]
    for level, column in ((NAME_EXACT, "name_tf"), (NAME_PHONETIC, "phon_tf")):
        sel = (name == level) & names
        out[sel] += np.log(p[column][i[sel]]) - np.log(u["name"][level])
    mother_same = (family >= 0) & (family // len(ADDRESS_STATES) == 2) & (family != FAMILY_KK) & (
        p["mother_code"][i] == p["mother_code"][j])
    average = u["family"][2 * len(ADDRESS_STATES):FAMILY_KK].sum()
    out[mother_same] += np.log(p["mother_tf"][i[mother_same]]) - np.log(average)
    return out


def score_pairs(p: Prepared, model: Model, i, j, workers: int = 1):
    levels = compare(p, i, j, workers)
    prob, weight = score_levels(p, model, i, j, levels)
    return prob, weight, levels
