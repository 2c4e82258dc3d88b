"""Demographic linkage, part 1: the fields, their comparison levels, the engine settings and
the preparation of records into compact arrays (the method is described in demographic.py)."""

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

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
    em_sample_pairs: int = 500_000
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
    """The chance that another, random record has this record's value (at least 1 / n)."""
    valid = codes >= 0
    counts = np.bincount(codes[valid]) if valid.any() else np.zeros(1)
    out = np.ones(len(codes))
    out[valid] = np.maximum(counts[codes[valid]] - 1, 1)
    return out / max(len(codes), 1)


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
    cols["mother_tf"] = _frequency(cols["mother_code"])
    cols["mother_length"] = mothers.per_unique([len(x) for x in mothers.uniques])
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
