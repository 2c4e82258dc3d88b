"""Demographic linkage, part 2: field-by-field comparison of candidate pairs into levels."""


import numpy as np
from rapidfuzz import distance, process

from ektp.dedup.engine.demographic_fields import (
    ADDRESS_STATES,
    FAMILY_KK,
    MISSING,
    NAME_EXACT,
    NAME_PHONETIC,
    NAME_SHARE,
    Prepared,
)

# --- Comparisons ----------------------------------------------------------------------------

def _jw(a: np.ndarray, b: np.ndarray, workers: int, cutoff: float = 0.0) -> np.ndarray:
    """Jaro-Winkler similarity per pair; below `cutoff` may come back as 0 (faster)."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.float32)
    return process.cpdist(a, b, scorer=distance.JaroWinkler.normalized_similarity,
                          workers=workers, dtype=np.float32, score_cutoff=cutoff)


def _compare_name(p: Prepared, i, j, workers) -> np.ndarray:
    """exact (same parts in any order, or same letters ignoring spaces) > phonetic (same after
    spelling folding) > similar (a typo: one edit per 8 letters, or Jaro-Winkler >= 0.92 with
    at most one edit per 5 letters, so "MUHAMMAD HAFIZ" / "MUHAMMAD HASAN" is not) > subset
    (one name's parts all in the other: a one-word name, a dropped middle name) > share a part
    (Jaro-Winkler >= 0.80, or an uncommon part in common, the rest different: the pattern of
    siblings and twins, "AHMAD HAFIZ" / "AHMAD MULYADI") > different."""
    level = np.zeros(len(i), dtype=np.int8)
    exact = (p["name_key"][i] == p["name_key"][j]) | (p["name_compact"][i] == p["name_compact"][j])
    phon = (p["name_phon"][i] == p["name_phon"][j]) | (
        p["name_phon_compact"][i] == p["name_phon_compact"][j])
    level[phon] = NAME_PHONETIC
    level[exact] = NAME_EXACT
    rest = np.flatnonzero(~(exact | phon))
    ri, rj = i[rest], j[rest]
    a, b = p["name_sorted"][ri], p["name_sorted"][rj]
    sim = np.maximum(_jw(a, b, workers, 0.8),
                     _jw(p["name_written"][ri], p["name_written"][rj], workers, 0.8))
    shared, shared_rare = _shared_tokens(p["name_tokens"], ri, rj, p["name_token_rare"])
    smaller = np.minimum(p["name_token_count"][ri], p["name_token_count"][rj])
    level[rest[(sim >= 0.80) | (shared_rare > 0)]] = NAME_SHARE
    level[rest[(shared == smaller) & (smaller > 0)]] = 2
    edits = np.minimum(_edits(a, b, workers),
                       _edits(p["name_written"][ri], p["name_written"][rj], workers))
    length = np.minimum(p["name_length"][ri], p["name_length"][rj])
    level[rest[_typo(sim, edits, length)]] = 3
    level[(p["name_key"][i] < 0) | (p["name_key"][j] < 0)] = MISSING
    return level


def _typo(jaro_winkler, edits, length) -> np.ndarray:
    """Close enough to be one name mistyped: one edit per 8 letters, or Jaro-Winkler >= 0.92
    with at most one edit per 5 letters ("MUHAMMAD HAFIZ" / "MUHAMMAD HASAN" is not)."""
    return (edits <= np.maximum(1, length // 8)) | (
        (jaro_winkler >= 0.92) & (edits <= np.maximum(2, length // 5)))


def _edits(a: np.ndarray, b: np.ndarray, workers: int) -> np.ndarray:
    """Optimal-string-alignment distance (edits, adjacent swaps counting one); above 6 it may
    come back as 7."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.int32)
    return process.cpdist(a, b, scorer=distance.OSA.distance, workers=workers, score_cutoff=6,
                          dtype=np.int32)


def _digit_slip(p: Prepared, i, j, workers) -> np.ndarray:
    """One digit of YYYYMMDD differs, or two adjacent digits are swapped (1985 -> 1958): an
    optimal-string-alignment distance of 1 between the eight-digit strings."""
    out = np.zeros(len(i), dtype=bool)
    check = np.flatnonzero((p["dob"][i] != p["dob"][j]) & (p["dob"][i] > 0) & (p["dob"][j] > 0))
    if len(check):
        edits = process.cpdist(p["dob_text"][i[check]], p["dob_text"][j[check]],
                               scorer=distance.OSA.distance, workers=workers, score_cutoff=2)
        out[check] = edits == 1
    return out


def _shared_tokens(tokens: np.ndarray, i, j, rare: np.ndarray, step: int = 200_000):
    """Per pair: how many tokens the two records share, and how many of those are rare.
    `tokens` holds each record's sorted token codes, padded with -1."""
    shared = np.zeros(len(i), dtype=np.int16)
    shared_rare = np.zeros(len(i), dtype=np.int16)
    for start in range(0, len(i), step):
        a, b = tokens[i[start:start + step]], tokens[j[start:start + step]]
        hit = ((a[:, :, None] == b[:, None, :]) & (a[:, :, None] >= 0)).any(axis=2)
        shared[start:start + step] = hit.sum(axis=1)
        shared_rare[start:start + step] = (hit & rare[np.maximum(a, 0)]).sum(axis=1)
    return shared, shared_rare


def _compare_dates(p: Prepared, i, j, workers) -> np.ndarray:
    """exact > explained by a NIK (one side's NIK date is the other's recorded date) >
    day/month swapped > one digit slipped or two adjacent digits swapped > two of year, month,
    day equal > different."""
    a, b = p["dob"][i], p["dob"][j]
    na, nb = p["nik_dob"][i], p["nik_dob"][j]
    ya, ma, da = a // 10000, a // 100 % 100, a % 100
    yb, mb, db = b // 10000, b // 100 % 100, b % 100
    level = np.zeros(len(i), dtype=np.int8)
    level[((ya == yb).astype(int) + (ma == mb) + (da == db)) >= 2] = 1
    level[_digit_slip(p, i, j, workers)] = 2
    level[(ya == yb) & (da == mb) & (ma == db) & (da != ma)] = 3
    nik_explained = ((na == b) & (na > 0)) | ((a == nb) & (nb > 0)) | ((na == nb) & (na > 0))
    level[nik_explained] = 4
    level[a == b] = 5
    level[(a == 0) | (b == 0)] = MISSING
    return level


def _compare_sex(p: Prepared, i, j) -> np.ndarray:
    a, b = p["sex"][i], p["sex"][j]
    return np.where((a == 0) | (b == 0), MISSING, (a == b).astype(np.int8)).astype(np.int8)


def _compare_nik(p: Prepared, i, j, workers) -> np.ndarray:
    """same > one edit apart (only for identifiers that are not two valid NIKs: between two NIKs
    one digit apart are twins with consecutive serials) > different."""
    a, b = p["nik_code"][i], p["nik_code"][j]
    level = (a == b).astype(np.int8) * 2
    near = np.flatnonzero((a != b) & ~(p["nik_valid"][i] & p["nik_valid"][j]))
    if len(near):
        edits = process.cpdist(p["nik"][i[near]], p["nik"][j[near]], scorer=distance.OSA.distance,
                               workers=workers)
        level[near[edits == 1]] = 1
    level[(a < 0) | (b < 0)] = MISSING
    return level


def _similar(p: Prepared, name: str, i, j, cutoff: float, workers) -> np.ndarray:
    """Equal, or Jaro-Winkler >= cutoff."""
    codes_a, codes_b = p[f"{name}_code"][i], p[f"{name}_code"][j]
    same = (codes_a == codes_b) & (codes_a >= 0)
    out = same.copy()
    check = np.flatnonzero(~same & (codes_a >= 0) & (codes_b >= 0))
    out[check] = _jw(p[name][i[check]], p[name][j[check]], workers, cutoff) >= cutoff
    return out


def _address_similarity(p: Prepared, i, j, workers) -> tuple[np.ndarray, np.ndarray]:
    """On the street part, without the village: similar = Jaro-Winkler >= 0.88 or the words of
    one address (nearly) all in the other ("53 kyeema beaumaris" in "53 albermarle place kyeema
    beaumaris"), in the same village (or a village unknown); partial = most words of the
    shorter address in the other (same house number and street, the rest rewritten), or
    similar but in another village. Words like JL, NO, RT, RW do not count."""
    codes_a, codes_b = p["address_code"][i], p["address_code"][j]
    similar = (codes_a == codes_b) & (codes_a >= 0)
    partial = similar.copy()
    check = np.flatnonzero(~similar & (codes_a >= 0) & (codes_b >= 0))
    ci, cj = i[check], j[check]
    shared, _ = _shared_tokens(p["street_tokens"], ci, cj, p["street_token_rare"])
    smaller = np.minimum(p["street_token_count"][ci], p["street_token_count"][cj])
    overlap = shared / np.maximum(smaller, 1)
    close = (_jw(p["street"][ci], p["street"][cj], workers, 0.88) >= 0.88) | (
        (shared >= 2) & (overlap >= 0.9))
    village_a, village_b = p["village"][ci], p["village"][cj]
    same_place = (village_a == village_b) | (village_a < 0) | (village_b < 0)
    similar[check] = close & same_place
    partial[check] = close | ((shared >= 2) & (overlap >= 0.6))
    return similar, partial


def _same_mother(p: Prepared, i, j, workers) -> np.ndarray:
    """The same mother's name, or the same name with a typo (see _typo)."""
    codes_a, codes_b = p["mother_code"][i], p["mother_code"][j]
    same = (codes_a == codes_b) & (codes_a >= 0)
    check = np.flatnonzero(~same & (codes_a >= 0) & (codes_b >= 0))
    a, b = p["mother"][i[check]], p["mother"][j[check]]
    length = np.minimum(p["mother_length"][i[check]], p["mother_length"][j[check]])
    same[check] = _typo(_jw(a, b, workers, 0.92), _edits(a, b, workers), length)
    return same


def _compare_family(p: Prepared, i, j, workers) -> np.ndarray:
    """One comparison for KK, mother's name and address, because within a family they come
    together. Same KK on top; otherwise the mother's name (different / unknown on a side /
    same, typos allowed) crossed with the address (nothing / same village / partly
    similar / similar / same): a mother's name that differs is strong evidence against, one
    that is missing is none."""
    def present(code):
        return (p[code][i] >= 0) & (p[code][j] >= 0)

    mother_state = np.where(_same_mother(p, i, j, workers), 2,
                            np.where(present("mother_code"), 0, 1))
    addr_sim, addr_partial = _address_similarity(p, i, j, workers)
    address_state = np.zeros(len(i), dtype=np.int8)
    address_state[(p["village"][i] == p["village"][j]) & (p["village"][i] >= 0)] = 1
    address_state[addr_partial] = 2
    address_state[addr_sim] = 3
    address_state[(p["address_code"][i] == p["address_code"][j]) & present("address_code")] = 4
    level = (mother_state * len(ADDRESS_STATES) + address_state).astype(np.int8)
    level[(p["kk_code"][i] == p["kk_code"][j]) & present("kk_code")] = FAMILY_KK
    nothing = ~(present("kk_code") | present("mother_code") | present("address_code"))
    level[nothing] = MISSING
    return level


def _compare_place(p: Prepared, i, j, workers) -> np.ndarray:
    a, b = p["bplace_code"][i], p["bplace_code"][j]
    level = _similar(p, "bplace", i, j, 0.88, workers).astype(np.int8)
    level[(a == b) & (a >= 0)] = 2
    level[(a < 0) | (b < 0)] = MISSING
    return level


def compare(p: Prepared, i: np.ndarray, j: np.ndarray, workers: int = 1) -> np.ndarray:
    """Comparison levels, one column per entry of COMPARISONS; -1 where a side is missing."""
    return np.stack([
        _compare_name(p, i, j, workers), _compare_dates(p, i, j, workers), _compare_sex(p, i, j),
        _compare_nik(p, i, j, workers), _compare_family(p, i, j, workers),
        _compare_place(p, i, j, workers),
    ], axis=1)
