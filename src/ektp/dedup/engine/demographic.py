"""Demographic linkage for a register of families: which records are the same person?

Plain Python + numpy + rapidfuzz, no Django. Why not just Splink: on a register shaped like an
Indonesian one, siblings and twins share the KK, the address and the mother's name, and people
with the same birth date are many. A Fellegi-Sunter model with two classes (match / non-match)
counts the family evidence as if strangers shared it by chance, so twins outscore real repeat
registrations (see /work/shared/linkage.md). This engine differs in four ways:

1. KK, mother's name and address are ONE comparison ("family"): same KK, else the mother's
   name (different / unknown / same) crossed with the address (none / same village / partly
   similar / similar / same), so the family is counted once and a mother's name that differs
   counts against.
2. Three classes instead of two: match, relative (a different person on the same KK) and
   stranger. Stranger level frequencies (u) come from random record pairs; relative frequencies
   (r) from pairs of records that share a KK, so "same birth date" among relatives is as common
   as twins are, not as rare as among strangers. Only the match frequencies (m) are estimated by
   EM, with u and r held fixed, in two sessions (pairs with the same birth date, pairs with the same
   name key), each leaving out the fields its pairs agree on by construction. This is stable
   because the non-match side is measured, not guessed.
3. The match prior is estimated from the EM sessions (expected matches / all pairs), so a larger
   register automatically needs more evidence per pair.
4. Clustering does not chain: pairs are merged best first, and two groups join only if every
   pair across them stays above a floor probability and is likelier one person than relatives.

The default threshold is a posterior match probability of 0.5 (more likely the same person than
not), fixed in advance, never tuned on a truth set.

Typical use::

    engine = DemographicEngine()
    result = engine.run(records)          # DataFrame or iterable of dicts
    result.pairs, result.clusters
"""

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from rapidfuzz import distance, process

from ektp.dedup.engine.names import birth_place_key, normalise_name, phonetic_token

FIELDS = ("record_id", "nik", "name", "birth_date", "birth_place", "sex", "kk", "mother_name",
          "address", "village_code")
COMPARISONS = ("name", "birth_date", "sex", "nik", "family", "birth_place")
NAME_LEVELS = ("different", "share_a_part", "subset", "similar", "phonetic", "exact")
NAME_SHARE, NAME_PHONETIC, NAME_EXACT = 1, 4, 5
DATE_LEVELS = ("different", "two_of_three", "digit_slip", "day_month_swap", "nik_date", "exact")
DATE_NIK, DATE_EXACT = 4, 5
# Family = mother's name (different / unknown / same) x address (none / same village / partly
# similar / similar / same), plus "same KK" on top: 16 levels.
MOTHER_STATES = ("mother_different", "mother_unknown", "mother_same")
ADDRESS_STATES = ("address_none", "village", "address_partial", "address_similar",
                  "address_same")
FAMILY_LEVELS = tuple(f"{m}+{a}" for m in MOTHER_STATES for a in ADDRESS_STATES) + ("same_kk",)
FAMILY_KK = len(FAMILY_LEVELS) - 1
LEVEL_NAMES = {
    "name": NAME_LEVELS, "birth_date": DATE_LEVELS, "sex": ("different", "same"),
    "nik": ("different", "one_edit", "same"), "family": FAMILY_LEVELS,
    "birth_place": ("different", "similar", "same"),
}
N_LEVELS = {name: len(levels) for name, levels in LEVEL_NAMES.items()}


def _family_prior() -> tuple[float, ...]:
    mother = np.array([0.05, 0.25, 0.70])
    address = np.array([0.45, 0.10, 0.05, 0.10, 0.30])
    return tuple(np.append(np.outer(mother, address).ravel() * 0.6, 0.4))


# Sensible match frequencies, used as a weak Dirichlet prior for EM and on tiny inputs.
DEFAULT_M = {
    "name": (0.02, 0.02, 0.05, 0.11, 0.10, 0.70),
    "birth_date": (0.02, 0.02, 0.03, 0.03, 0.05, 0.85),
    "sex": (0.02, 0.98),
    "nik": (0.40, 0.05, 0.55),
    "family": _family_prior(),
    "birth_place": (0.10, 0.10, 0.80),
}
MISSING = -1
RARE_BLOCK = 20  # passes on a value alone (a full name, an ID with a typo) skip common values
_SEX_WORDS = {"L": 1, "LK": 1, "LAKI": 1, "LAKILAKI": 1, "PRIA": 1, "M": 1, "MALE": 1, "1": 1,
              "P": 2, "PR": 2, "PEREMPUAN": 2, "WANITA": 2, "F": 2, "FEMALE": 2, "W": 2, "2": 2}
_ADDRESS_WORDS = ((r"\bJALAN\b", "JL"), (r"\bGANG\b", "GG"), (r"\bNOMOR\b", "NO"),
                  (r"\bDUSUN\b", "DSN"), (r"\bKAMPUNG\b", "KP"), (r"\bPERUMAHAN\b", "PERUM"))


@dataclass
class EngineConfig:
    threshold: float = 0.5          # posterior probability at which a pair is a duplicate
    review_threshold: float = 0.05  # pairs kept in the output for a person to look at
    cluster_floor: float = 0.01     # every pair inside a cluster must reach this probability
    link_only: bool = False         # records carry a "source"; link across sources only
    max_block: int = 1_000          # larger blocks are split by name initial, then skipped
    chunk_pairs: int = 2_000_000    # candidate pairs compared per chunk (bounds memory)
    u_sample_pairs: int = 200_000
    em_sample_pairs: int = 1_000_000
    em_iterations: int = 200
    workers: int = 2                # rapidfuzz threads
    seed: int = 20240601


# --- Preparation ----------------------------------------------------------------------------

@dataclass
class Prepared:
    """Records as arrays: codes for equality, strings for similarity. -1 / 0 / "" is missing."""
    n: int
    record_id: np.ndarray
    source: np.ndarray | None
    cols: dict[str, np.ndarray]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.cols[key]


def to_frame(records) -> pd.DataFrame:
    """A DataFrame or an iterable of dicts, with every engine field present."""
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    frame = frame.reset_index(drop=True)
    if "record_id" not in frame:
        frame = frame.assign(record_id=np.arange(len(frame)))
    for name in FIELDS:
        if name not in frame:
            frame[name] = None
    return frame


@dataclass
class _Values:
    """A column as codes into its distinct values, so that per-value work (normalising a name,
    parsing a date) runs once per distinct value: names, dates and addresses repeat a lot."""
    codes: np.ndarray
    uniques: np.ndarray

    @classmethod
    def of(cls, values) -> "_Values":
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        texts = ["" if v is None or v != v else _as_text(v).strip() for v in uniques]
        codes = np.where(codes < 0, len(texts), codes)
        return cls(codes, np.array(texts + [""], dtype=object))

    def map(self, func) -> "_Values":
        mapped = pd.Series([func(v) for v in self.uniques], dtype=object)
        codes, uniques = pd.factorize(mapped, use_na_sentinel=False)
        return _Values(codes[self.codes], np.asarray(uniques, dtype=object))

    def array(self) -> np.ndarray:
        return self.uniques[self.codes]

    def key(self) -> np.ndarray:
        """Codes for equality; -1 where the value is empty."""
        empty = np.array([not v for v in self.uniques], dtype=bool)
        return np.where(empty[self.codes], -1, self.codes).astype(np.int64)

    def per_unique(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values)[self.codes]


def _as_text(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def prepare(records) -> Prepared:
    frame = to_frame(records)
    cols: dict[str, np.ndarray] = {}
    _prepare_names(_Values.of(frame["name"]), cols)
    cols["dob"] = parse_dates(frame["birth_date"])
    cols["dob_text"] = _Values.of(cols["dob"]).array()
    _prepare_nik(_Values.of(frame["nik"]).map(lambda v: _NOT_DIGIT.sub("", v)), cols)
    words = _Values.of(frame["sex"]).map(lambda v: _SEX_WORDS.get(_NOT_ALNUM.sub("", v.upper())))
    recorded = words.per_unique(pd.to_numeric(pd.Series(words.uniques), errors="coerce")
                                .fillna(0).astype(np.int8))
    cols["sex"] = np.where(recorded > 0, recorded, cols["nik_sex"]).astype(np.int8)
    _prepare_family(frame, cols)
    places = _Values.of(frame["birth_place"]).map(birth_place_key)
    cols["bplace"], cols["bplace_code"] = places.array(), places.key()
    cols["year"] = np.where(cols["dob"] > 0, cols["dob"] // 10000, -1)
    cols["dob_code"] = np.where(cols["dob"] > 0, pd.factorize(cols["dob"])[0], -1)
    source = frame["source"].to_numpy() if "source" in frame else None
    return Prepared(len(frame), frame["record_id"].to_numpy(), source, cols)


_NOT_DIGIT = re.compile(r"\D")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


def _written_phonetic(raw: str) -> str:
    return " ".join(phonetic_token(t) for t in normalise_name(raw).tokens)


def _prepare_names(names: _Values, cols: dict) -> None:
    ordered = names.map(lambda r: normalise_name(r).phonetic_key)
    written = names.map(_written_phonetic)
    cols["name_sorted"], cols["name_written"] = ordered.array(), written.array()
    cols["name_key"] = names.map(lambda r: normalise_name(r).token_key).key()
    cols["name_compact"] = names.map(lambda r: normalise_name(r).compact_key).key()
    cols["name_phon"] = ordered.key()
    cols["name_length"] = ordered.per_unique([len(x) for x in ordered.uniques])
    cols["name_phon_compact"] = written.map(lambda w: w.replace(" ", "")).key()
    cols["name_initial"] = written.map(lambda w: w[:1]).key()
    cols["name_tokens"], cols["name_token_count"], cols["name_token_rare"] = _token_matrix(
        ordered, width=5, rare_share=0.005)
    cols["name_tf"] = _frequency(cols["name_key"])
    cols["phon_tf"] = _frequency(cols["name_phon"])


def _frequency(codes: np.ndarray) -> np.ndarray:
    """Share of records with the same value: the chance a random record agrees with this one."""
    valid = codes >= 0
    counts = np.bincount(codes[valid]) if valid.any() else np.zeros(1)
    out = np.zeros(len(codes))
    out[valid] = counts[codes[valid]] / max(len(codes), 1)
    return out


_DMY = re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$")
_YMD = re.compile(r"^(\d{4})[-/. ](\d{1,2})[-/. ](\d{1,2})")
_COMPACT_DATE = re.compile(r"^\d{8}$")


def _parse_date(text: str) -> int:
    if _COMPACT_DATE.match(text):
        return int(text)
    for pattern, order in ((_YMD, (0, 1, 2)), (_DMY, (2, 1, 0))):
        found = pattern.match(text)
        if found:
            y, m, d = (int(found.group(k + 1)) for k in order)
            return y * 10000 + m * 100 + d
    return 0


def parse_dates(values) -> np.ndarray:
    """ISO "1985-03-12", Indonesian "12-03-1985", compact "19850312" or date objects to the
    integer 19850312; 0 when missing. Impossible dates (a typo's "19851312") are kept, because
    the comparison works digit by digit."""
    dates = _Values.of(values)
    return dates.per_unique(np.array([_parse_date(v) for v in dates.uniques], dtype=np.int64))


def _prepare_nik(digits: _Values, cols: dict) -> None:
    cols["nik"], cols["nik_code"] = digits.array(), digits.key()
    cols["nik_dob"], cols["nik_sex"], cols["nik_valid"] = _nik_dates(cols["nik"], cols["dob"])


def _nik_dates(digits: np.ndarray, dob: np.ndarray):
    """Birth date and sex encoded in a 16-digit NIK (day + 40 for women). The century is taken
    from the recorded birth date when there is one, else a two-digit year up to this year's is
    20yy."""
    is16 = np.array([len(d) == 16 for d in digits], dtype=bool)
    middle = np.zeros(len(digits), dtype=np.int64)
    if is16.any():
        middle[is16] = pd.Series(digits[is16]).str.slice(6, 12).astype(np.int64).to_numpy()
    day_raw, month, yy = middle // 10000, middle // 100 % 100, middle % 100
    female = day_raw > 40
    day = np.where(female, day_raw - 40, day_raw)
    valid = is16 & (day >= 1) & (day <= 31) & (month >= 1) & (month <= 12)
    year = _century(yy, dob // 10000)
    nik_dob = np.where(valid, year * 10000 + month * 100 + day, 0)
    sex = np.where(valid, np.where(female, 2, 1), 0).astype(np.int8)
    return nik_dob, sex, valid


def _century(yy: np.ndarray, recorded_year: np.ndarray) -> np.ndarray:
    this_year = date.today().year
    guess = np.where(yy <= this_year % 100, 2000 + yy, 1900 + yy)
    base = (recorded_year // 100) * 100 + yy
    closest = np.select([base - recorded_year > 50, recorded_year - base > 50],
                        [base - 100, base + 100], base)
    return np.where(recorded_year > 0, closest, guess)


def _village(raw: str) -> str:
    digits = _NOT_DIGIT.sub("", raw)
    return digits or raw.upper()


def _prepare_family(frame: pd.DataFrame, cols: dict) -> None:
    cols["kk_code"] = _Values.of(frame["kk"]).map(lambda v: re.sub(r"[\s.\-]", "", v)).key()
    mothers = _Values.of(frame["mother_name"]).map(lambda r: normalise_name(r).phonetic_key)
    cols["mother"], cols["mother_code"] = mothers.array(), mothers.key()
    village = _Values.of(frame["village_code"]).map(_village)
    streets = _Values.of(frame["address"]).map(_normalise_address)
    cols["village"], street_key = village.key(), streets.key()
    # An address is its street part within its village (an unknown village counts as one).
    cols["address_code"] = np.where(street_key >= 0,
                                    _combine(cols["village"] + 1, street_key), -1)
    cols["street"] = streets.array()
    cols["street_tokens"], cols["street_token_count"], cols["street_token_rare"] = _token_matrix(
        streets, width=8, rare_share=0.005, stop=_ADDRESS_STOP)
    cols["kecamatan"] = village.map(lambda v: v[:6] if len(v) == 10 and v.isdigit() else v).key()


_ADDRESS_STOP = frozenset({"JL", "NO", "RT", "RW", "DSN", "GG", "KP", "PERUM", "BLOK", "DESA",
                           "KEL", "KELURAHAN", "KEC", "KECAMATAN"})


def _token_matrix(values: _Values, width: int, rare_share: float, stop=frozenset()):
    """Each record's distinct words as sorted integer codes (padded with -1), the word count,
    and per code whether the word is rare (in at most `rare_share` of records)."""
    split = [sorted({t for t in text.split() if t not in stop})[:width] for text in values.uniques]
    counts = np.array([len(x) for x in split], dtype=np.int16)
    codes, uniques = pd.factorize(pd.Series([t for x in split for t in x], dtype=object))
    matrix = np.full((len(split), width), -1, dtype=np.int32)
    rows = np.repeat(np.arange(len(split)), counts)
    matrix[rows, np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)] = codes
    records_per_value = np.bincount(values.codes, minlength=len(split))
    frequency = np.bincount(codes, weights=records_per_value[rows], minlength=len(uniques))
    rare = np.append(frequency / max(len(values.codes), 1) <= rare_share, False)
    return matrix[values.codes], counts[values.codes], rare


def _normalise_address(raw: str) -> str:
    """"Jalan Mawar Nomor 5, RT 01 / RW 02" -> "JL MAWAR NO 5 RT 01 RW 02"."""
    text = re.sub(r"[^A-Z0-9]+", " ", raw.upper())
    for pattern, short in _ADDRESS_WORDS:
        text = re.sub(pattern, short, text)
    return " ".join(text.split())


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
    typo = (edits <= np.maximum(1, length // 8)) | (
        (sim >= 0.92) & (edits <= np.maximum(2, length // 5)))
    level[rest[typo]] = 3
    level[(p["name_key"][i] < 0) | (p["name_key"][j] < 0)] = MISSING
    return level


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


def _compare_family(p: Prepared, i, j, workers) -> np.ndarray:
    """One comparison for KK, mother's name and address, because within a family they come
    together. Same KK on top; otherwise the mother's name (different / unknown on a side /
    same, Jaro-Winkler >= 0.90) crossed with the address (nothing / same village / partly
    similar / similar / same): a mother's name that differs is strong evidence against, one
    that is missing is none."""
    def present(code):
        return (p[code][i] >= 0) & (p[code][j] >= 0)

    mother_state = np.where(_similar(p, "mother", i, j, 0.90, workers), 2,
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


# --- Blocking -------------------------------------------------------------------------------

def _combine(*codes: np.ndarray) -> np.ndarray:
    """One code per distinct combination; -1 if any part is missing."""
    valid = np.logical_and.reduce([c >= 0 for c in codes])
    out = np.full(len(codes[0]), -1, dtype=np.int64)
    if not valid.any():
        return out
    packed = np.asarray(codes[0])[valid].astype(np.int64)
    for code in codes[1:]:
        part = np.asarray(code)[valid].astype(np.int64)
        # renumber first, so the packed number stays far below the int64 limit
        packed = pd.factorize(packed)[0].astype(np.int64) * (int(part.max()) + 1) + part
    out[valid] = pd.factorize(packed)[0]
    return out


def _cap_blocks(key: np.ndarray, refine: np.ndarray | None, max_block: int) -> np.ndarray:
    """Blocks above max_block (1 January for people with an unknown birth date, say) are split by
    the first letter of the name; what is still too large is left out of this pass."""
    key = key.copy()
    for extra in ((refine, None) if refine is not None else (None,)):
        valid = key >= 0
        sizes = np.bincount(key[valid]) if valid.any() else np.zeros(0, dtype=np.int64)
        big = np.zeros(len(key), dtype=bool)
        big[valid] = sizes[key[valid]] > max_block
        if not big.any():
            return key
        if extra is None:
            key[big] = -1
        else:
            key[big] = _combine(key[big], extra[big]) + key.max() + 1
            key[big & (extra < 0)] = -1
    return key


def _within_block_pairs(order: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """All pairs inside consecutive blocks of `order`, vectorised: pair each position with the
    one k places further on while both are in the same block, for k = 1, 2, ..."""
    lengths = ends - starts
    skipped = starts - np.concatenate([[0], np.cumsum(lengths)[:-1]])
    pos = np.arange(lengths.sum()) + np.repeat(skipped, lengths)
    block_end = np.repeat(ends, lengths)
    remaining = block_end - pos - 1
    by_remaining = pos[np.argsort(-remaining, kind="stable")]
    sorted_rem = np.sort(remaining)[::-1]
    left, right = [], []
    for k in range(1, int(sorted_rem[0]) + 1 if len(sorted_rem) else 1):
        count = int(np.searchsorted(-sorted_rem, -k, side="right"))
        chosen = by_remaining[:count]
        left.append(order[chosen])
        right.append(order[chosen + k])
    if not left:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    a, b = np.concatenate(left), np.concatenate(right)
    return np.minimum(a, b), np.maximum(a, b)


def block_pairs(key: np.ndarray, max_pairs: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs of records that share a key, in chunks of about max_pairs pairs."""
    valid = np.flatnonzero(key >= 0)
    order = valid[np.argsort(key[valid], kind="stable")]
    sorted_key = key[order]
    cuts = np.flatnonzero(np.diff(sorted_key)) + 1
    starts = np.concatenate([[0], cuts]) if len(order) else np.zeros(0, dtype=np.int64)
    ends = np.concatenate([cuts, [len(order)]]) if len(order) else np.zeros(0, dtype=np.int64)
    multi = (ends - starts) > 1
    starts, ends = starts[multi], ends[multi]
    sizes = (ends - starts) * (ends - starts - 1) // 2
    chunk_of = np.cumsum(sizes) // max(max_pairs, 1)
    for chunk in np.unique(chunk_of):
        sel = chunk_of == chunk
        yield _within_block_pairs(order, starts[sel], ends[sel])


def block_pair_count(key: np.ndarray) -> int:
    valid = key[key >= 0]
    sizes = np.bincount(valid) if len(valid) else np.zeros(0, dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


@dataclass
class BlockingPass:
    """Records agreeing on `key` are compared. `probe_key` (optional) restricts the pass to pairs
    where one side is a probe whose `probe_key` equals the other side's `key`. `owner`
    (optional) makes the key multi-valued: row k of `key` belongs to record owner[k]."""
    name: str
    key: np.ndarray
    probe_key: np.ndarray | None = None
    owner: np.ndarray | None = None
    _pair_codes: np.ndarray | None = None

    def covers(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        if self.owner is not None:
            return self._covers_multi(i, j)
        if self.probe_key is None:
            return (self.key[i] == self.key[j]) & (self.key[i] >= 0)
        pk, k = self.probe_key, self.key
        return ((pk[i] == k[j]) & (pk[i] >= 0)) | ((pk[j] == k[i]) & (pk[j] >= 0))

    def _multi_pairs(self) -> tuple[np.ndarray, int]:
        """All pairs of a multi-valued pass, once each (two records may share several keys),
        packed as i * n + j and sorted. Such passes only keep rare keys, so this stays small."""
        n = int(self.owner.max()) + 1 if len(self.owner) else 1
        if self._pair_codes is None:
            parts = []
            for a, b in block_pairs(self.key, 10_000_000):
                a, b = self.owner[a], self.owner[b]
                parts.append(np.minimum(a, b) * n + np.maximum(a, b))
            packed = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
            self._pair_codes = packed[packed // n != packed % n]
        return self._pair_codes, n

    def _covers_multi(self, i, j) -> np.ndarray:
        codes, n = self._multi_pairs()
        if not len(codes):
            return np.zeros(len(i), dtype=bool)
        wanted = i * n + j
        at = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
        return codes[at] == wanted

    def pairs(self, max_pairs: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if self.owner is not None:
            codes, n = self._multi_pairs()
            for start in range(0, len(codes), max(max_pairs, 1)):
                chunk = codes[start:start + max_pairs]
                yield chunk // n, chunk % n
            return
        if self.probe_key is None:
            yield from block_pairs(self.key, max_pairs)
            return
        probes = np.flatnonzero(self.probe_key >= 0)
        per_chunk = max(1, max_pairs // 50)
        for start in range(0, len(probes), per_chunk):
            yield _probe_pairs(probes[start:start + per_chunk], self.probe_key, self.key)


def _probe_pairs(probes, probe_key, key):
    build = np.flatnonzero(key >= 0)
    build = build[np.argsort(key[build], kind="stable")]
    lo = np.searchsorted(key[build], probe_key[probes], side="left")
    hi = np.searchsorted(key[build], probe_key[probes], side="right")
    counts = hi - lo
    left = np.repeat(probes, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    right = build[np.repeat(lo, counts) + offsets]
    a, b = np.minimum(left, right), np.maximum(left, right)
    # Two probes that meet each other's dates: keep the pair once, from the lower probe.
    mutual = (probe_key[right] >= 0) & (probe_key[right] == key[left]) & (right < left)
    keep = (a != b) & ~mutual
    packed = np.unique(a[keep] * (len(key) + 1) + b[keep])
    return packed // (len(key) + 1), packed % (len(key) + 1)


def blocking_passes(p: Prepared, max_block: int) -> list[BlockingPass]:
    """Several passes so that one corrupted field does not hide a duplicate:
    1. birth date + sex;  2. name key + birth year (a slipped day or month);
    3. a record whose NIK date differs from its recorded date, against records born on its NIK
       date (the recorded date slipped, the NIK kept the truth);
    4. phonetic name + kecamatan (birth date wrong altogether);  5. the same NIK;
    6. mother's name + birth year + name initial (moved, a typo in the name, a slipped day);
    7. an uncommon full name anywhere (moved, and the birth date wrong too);
    8. identifiers one digit apart (a typo in the NIK or another ID number);
    9. any uncommon name part + kecamatan, or + birth year (a typo in one part, the other
       part intact).
    A block larger than its cap is split by a further key (name initial, birth month or
    decade) and dropped if still too large: a common name alone says little and would flood
    the pass. The caps scale with `max_block` (default 1000 for birth date + sex)."""
    initial, sex = p["name_initial"], p["sex"].astype(np.int64)
    month = np.where(p["dob"] > 0, p["dob"] // 100 % 100, -1)
    decade = np.where(p["year"] > 0, p["year"] // 10, -1)
    dob = np.where(p["dob"] > 0, p["dob"], -1)
    inconsistent = (p["nik_dob"] > 0) & (p["nik_dob"] != p["dob"])
    probe_date = np.where(inconsistent, p["nik_dob"], -1)
    # Build and probe keys numbered together, so a probe's NIK date meets recorded dates.
    joint = _combine(np.concatenate([dob, probe_date]), np.concatenate([sex, sex]))

    def symmetric(name, key, refine, share):
        return BlockingPass(name, _cap_blocks(key, refine, max(2, int(max_block * share))))

    return [
        symmetric("birth_date+sex", _combine(p["dob_code"], sex), initial, 1.0),
        symmetric("name+birth_year", _combine(p["name_key"], p["year"]), month, 0.1),
        BlockingPass("nik_date", joint[:p.n], joint[p.n:]),
        symmetric("phonetic_name+kecamatan", _combine(p["name_phon"], p["kecamatan"]), decade,
                  0.02),
        symmetric("nik", p["nik_code"], initial, 1.0),
        symmetric("mother+birth_year+initial", _combine(p["mother_code"], p["year"], initial),
                  month, 0.05),
        symmetric("uncommon_name", p["name_key"], None, RARE_BLOCK / 1000),
        _id_typo_pass(p),
        _token_pass(p, "kecamatan"),
        _token_pass(p, "year", RARE_BLOCK),
    ]


def _id_typo_pass(p: Prepared) -> BlockingPass:
    """Identifiers within one edit share a "deletion key" (the number with one digit left
    out): 3175012345 and 3175021345 both give 317501345. Digits only, up to 18."""
    digits = np.array([len(v) for v in p["nik"]], dtype=np.int64)
    usable = np.flatnonzero((digits >= 5) & (digits <= 18))
    keys, owners = [], []
    values = pd.Series(p["nik"][usable], dtype=object).astype(np.int64).to_numpy()
    lengths = digits[usable]
    for position in range(18):
        has = lengths > position
        power = 10 ** (lengths[has] - 1 - position)  # place value of the digit left out
        low = values[has] % power
        high = values[has] // (power * 10)
        keys.append((high * power + low) * 20 + lengths[has])
        owners.append(usable[has])
    key = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    owner = np.concatenate(owners) if owners else np.zeros(0, np.int64)
    # Two valid NIKs one digit apart are scored "different" anyway (see _compare_nik), so a
    # key is only worth a block if some identifier in it is not a valid NIK.
    keep = np.isin(key, np.unique(key[~p["nik_valid"][owner]]))
    key = _cap_blocks(pd.factorize(key[keep])[0].astype(np.int64), None, RARE_BLOCK)
    return BlockingPass("id_typo", key, owner=owner[keep])


def _token_pass(p: Prepared, other: str, max_block: int = 50) -> BlockingPass:
    """One key per phonetic name part, with another field (kecamatan, birth year); common
    parts (block > max_block) are skipped: they say little and would flood the pass."""
    owner, column = np.nonzero(p["name_tokens"] >= 0)
    key = _cap_blocks(_combine(p["name_tokens"][owner, column], p[other][owner]), None,
                      max_block)
    return BlockingPass(f"name_part+{other}", key, owner=owner)


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


def _em(levels: np.ndarray, use: list[str], u, r, iterations: int) -> _Session:
    """EM for the match frequencies only; stranger (u) and relative (r) frequencies stay fixed.
    Runs on the distinct level patterns, so its cost does not grow with the number of pairs."""
    patterns, counts = _patterns(levels[:, [COMPARISONS.index(c) for c in use]])
    if counts.sum() == 0:  # nothing to learn from: keep the sensible defaults
        return _Session({c: np.asarray(DEFAULT_M[c], dtype=float) for c in use}, 0.0, 0)
    m = {c: np.asarray(DEFAULT_M[c], dtype=float) for c in use}
    shares = np.array([0.1, 0.05 if r else 0.0, 0.85])

    def class_logs(table):
        out = np.zeros(len(patterns))
        for k, c in enumerate(use):
            lv = patterns[:, k]
            out += np.where(lv >= 0, np.log(table[c][np.maximum(lv, 0)]), 0.0)
        return out

    fixed_s = class_logs(u)
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


def _patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a level matrix and how often each occurs (rows packed into one int64,
    because np.unique on rows is slow)."""
    shifted = levels.astype(np.int64) + 1  # -1 (missing) becomes 0
    packed = np.zeros(len(levels), dtype=np.int64)
    for c in range(levels.shape[1]):
        packed = packed * 32 + shifted[:, c]
    values, first, counts = np.unique(packed, return_index=True, return_counts=True)
    return levels[first], counts.astype(float)


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
    ri, rj = _random_pairs(p, min(config.u_sample_pairs, int(_total_pairs(p)) * 4 + 10), rng)
    rel_i, rel_j, rel_key = _relative_pairs(p, config.chunk_pairs)
    strangers = ~((rel_key[ri] == rel_key[rj]) & (rel_key[ri] >= 0))
    u = _stranger_frequencies(compare(p, ri[strangers], rj[strangers], config.workers))
    r, log_relative = _relative_model(p, rel_i, rel_j, config)
    sessions = {}
    for label, key, leave_out in (
        ("birth_date", p["dob_code"], {"birth_date"}),
        ("name", p["name_key"], {"name", "sex"}),
    ):
        i, j, share = _sampled_block_pairs(_cap_blocks(key, None, config.max_block),
                                           config.em_sample_pairs, rng)
        if p.source is not None:
            keep = p.source[i] != p.source[j]
            i, j = i[keep], j[keep]
        use = [c for c in COMPARISONS if c not in leave_out]
        session_r = r
        if r is not None and label == "birth_date":  # every pair here was born the same day
            session_r = {**r, "name": r[TWIN_NAME]}
        session = _em(compare(p, i, j, config.workers), use, u, session_r, config.em_iterations)
        session.pairs = int(len(i) / share)
        sessions[label] = session
    m = _combine_sessions(sessions)
    log_match = _log_prior_match(p, sessions, m)
    stats = {"random_pairs": int(strangers.sum()), "relative_pairs": int(len(rel_i)),
             **{f"em_{k}": {"pairs": s.pairs, "match_share": s.match_share}
                for k, s in sessions.items()}}
    return Model(m, u, r, log_match, log_relative, stats)


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
        m[c] = sum(v * (w / total if total else 1 / len(found)) for v, w in found)
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


def class_logs(p: Prepared, model: Model, i, levels) -> np.ndarray:
    """Log prior x likelihood of each pair under match, relative and stranger (columns)."""
    log_m = model.log_prior_match + _class_log(levels, model.m)
    log_s = math.log1p(-math.exp(model.log_prior_match)) + _class_log(levels, model.u)
    log_s += _name_frequency_adjustment(p, model, i, levels[:, 0])
    log_r = np.full(len(levels), -np.inf)
    if model.r is not None:
        log_r = model.log_prior_relative + _class_log(levels, model.r) + _twin_adjustment(
            model.r, levels)
    return np.stack([log_m, log_r, log_s], axis=1)


def score_levels(p: Prepared, model: Model, i, j, levels) -> tuple[np.ndarray, np.ndarray]:
    """Posterior match probability and match weight (log2 odds, match vs relative + stranger)."""
    logs = class_logs(p, model, i, levels)
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


def _name_frequency_adjustment(p: Prepared, model: Model, i, name_level) -> np.ndarray:
    """Two strangers both called SITI AMINAH is no surprise; two called TUMINAH SIHOMBING is.
    For exact and phonetic name agreement the stranger frequency is the name's own share of the
    register instead of the average."""
    out = np.zeros(len(i))
    floor = 1.0 / max(p.n, 1)
    for level, column in ((NAME_EXACT, "name_tf"), (NAME_PHONETIC, "phon_tf")):
        sel = name_level == level
        own = np.maximum(p[column][i[sel]], floor)
        out[sel] = np.log(own) - np.log(model.u["name"][level])
    return out


def score_pairs(p: Prepared, model: Model, i, j, workers: int = 1):
    levels = compare(p, i, j, workers)
    prob, weight = score_levels(p, model, i, j, levels)
    return prob, weight, levels


# --- Clustering -----------------------------------------------------------------------------

class _Clusters:
    """Union-find that refuses a merge when any pair across the two groups is unlikely to be a
    duplicate (below the floor) or more likely relatives (twins, siblings) than one person."""

    def __init__(self, p: Prepared, model: Model, config: EngineConfig, known: dict):
        self.p, self.model, self.config = p, model, config
        self.parent = np.arange(p.n)
        self.members: dict[int, list[int]] = {}
        self.known = known  # (i, j) -> probability, for pairs already scored

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def try_merge(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        ma, mb = self.members.get(ra, [ra]), self.members.get(rb, [rb])
        if (len(ma) > 1 or len(mb) > 1) and not self._compatible(ma, mb):
            return False
        self.parent[rb] = ra
        self.members[ra] = ma + mb
        self.members.pop(rb, None)
        return True

    def _compatible(self, ma: list[int], mb: list[int]) -> bool:
        i = np.repeat(np.asarray(ma), len(mb))
        j = np.tile(np.asarray(mb), len(ma))
        if self.p.source is not None and self.config.link_only:
            if (self.p.source[i] == self.p.source[j]).any():
                return False  # each source is one person per record: at most one per cluster
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        known = [self.known.get((int(a), int(b))) for a, b in zip(lo, hi, strict=True)]
        if any(k is not None and k < self.config.cluster_floor for k in known):
            return False
        # A pair already judged a duplicate passes; any other is (re)scored for both tests.
        check = np.array([k is None or k < 0.5 for k in known])
        if not check.any():
            return True
        a, b = lo[check], hi[check]
        logs = class_logs(self.p, self.model, a, compare(self.p, a, b, 1))
        post = np.exp(logs - logs.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        return bool(((post[:, 0] >= self.config.cluster_floor) & (post[:, 0] >= post[:, 1])).all())

    def labels(self) -> np.ndarray:
        roots = self.parent.copy()
        while True:  # follow parents to the roots, all records at once
            nxt = roots[roots]
            if (nxt == roots).all():
                break
            roots = nxt
        first = pd.Series(np.arange(self.p.n)).groupby(roots).transform("min").to_numpy()
        return first


def cluster(p: Prepared, model: Model, config: EngineConfig, i, j, prob) -> np.ndarray:
    """Cluster label per record: the index of its cluster's first record."""
    known = {(int(a), int(b)): float(x) for a, b, x in zip(i, j, prob, strict=True)}
    clusters = _Clusters(p, model, config, known)
    for k in np.argsort(-prob, kind="stable"):
        if prob[k] < config.threshold:
            break
        clusters.try_merge(int(i[k]), int(j[k]))
    return clusters.labels()


# --- The engine -----------------------------------------------------------------------------

@dataclass
class ScoredPairs:
    i: np.ndarray
    j: np.ndarray
    prob: np.ndarray
    weight: np.ndarray
    levels: np.ndarray

    @classmethod
    def concat(cls, parts: list["ScoredPairs"]) -> "ScoredPairs":
        if not parts:
            return cls(*(np.zeros(0, t) for t in (np.int64, np.int64, np.float32, np.float32)),
                       np.zeros((0, len(COMPARISONS)), np.int8))
        return cls(*(np.concatenate([getattr(x, f) for x in parts])
                     for f in ("i", "j", "prob", "weight", "levels")))


@dataclass
class CandidateChunk:
    pass_index: int
    chunk_index: int
    pass_name: str
    i: np.ndarray
    j: np.ndarray


@dataclass
class LinkResult:
    pairs: pd.DataFrame
    clusters: pd.DataFrame
    model: Model
    stats: dict


Progress = Callable[[str, int, int], None]


class DemographicEngine:
    def __init__(self, config: EngineConfig | None = None):
        self.config = config or EngineConfig()

    def prepare(self, records) -> Prepared:
        return prepare(records)

    def fit(self, prepared: Prepared) -> Model:
        return estimate_model(prepared, self.config)

    def candidates(self, p: Prepared) -> Iterator[CandidateChunk]:
        """Candidate pairs pass by pass; a pair found by an earlier pass is not repeated."""
        passes = blocking_passes(p, self.config.max_block)
        for index, bp in enumerate(passes):
            for chunk_index, (i, j) in enumerate(bp.pairs(self.config.chunk_pairs)):
                keep = np.ones(len(i), dtype=bool)
                for earlier in passes[:index]:
                    keep &= ~earlier.covers(i, j)
                if p.source is not None and self.config.link_only:
                    keep &= p.source[i] != p.source[j]
                yield CandidateChunk(index, chunk_index, bp.name, i[keep], j[keep])

    def score_chunk(self, p: Prepared, model: Model, chunk: CandidateChunk) -> ScoredPairs:
        prob, weight, levels = score_pairs(p, model, chunk.i, chunk.j, self.config.workers)
        keep = prob >= self.config.review_threshold
        return ScoredPairs(chunk.i[keep], chunk.j[keep], prob[keep].astype(np.float32),
                           weight[keep].astype(np.float32), levels[keep])

    def cluster(self, p: Prepared, model: Model, scored: ScoredPairs) -> np.ndarray:
        return cluster(p, model, self.config, scored.i, scored.j, scored.prob)

    def run(self, records, progress: Progress | None = None) -> LinkResult:
        notify = progress or (lambda stage, done, total: None)
        p = self.prepare(records)
        notify("prepared", p.n, p.n)
        model = self.fit(p)
        notify("model", 1, 1)
        parts, candidates = [], 0
        for chunk in self.candidates(p):
            candidates += len(chunk.i)
            parts.append(self.score_chunk(p, model, chunk))
            notify("candidates", candidates, 0)
        scored = ScoredPairs.concat(parts)
        labels = self.cluster(p, model, scored)
        notify("clustered", p.n, p.n)
        stats = {"records": p.n, "candidate_pairs": candidates, **model.stats}
        return LinkResult(pairs_frame(p, scored, self.config), clusters_frame(p, labels), model,
                          stats)


def pairs_frame(p: Prepared, scored: ScoredPairs, config: EngineConfig) -> pd.DataFrame:
    frame = pd.DataFrame({
        "record_id_a": p.record_id[scored.i], "record_id_b": p.record_id[scored.j],
        "score": np.round(scored.prob.astype(float), 6),
        "weight": np.round(scored.weight.astype(float), 3),
        "is_match": scored.prob >= config.threshold,
    })
    for c, name in enumerate(COMPARISONS):
        names = np.array(tuple(LEVEL_NAMES[name]) + ("missing",), dtype=object)
        frame[name] = names[scored.levels[:, c]]
    return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def clusters_frame(p: Prepared, labels: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"record_id": p.record_id, "cluster_id": p.record_id[labels]})


def cluster_pairs(labels: np.ndarray) -> Iterable[tuple[int, int]]:
    """Every pair of record indices that share a cluster."""
    series = pd.Series(np.arange(len(labels)))
    shared = series[pd.Series(labels).duplicated(keep=False).to_numpy()]
    for _, members in shared.groupby(labels[shared.to_numpy()]):
        ids = members.to_numpy()
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                yield int(ids[x]), int(ids[y])
