"""Tests for the pure resident rules (no database, no Django settings needed)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ektp.residents import reference
from ektp.residents.reference import (
    BELUM_KAWIN,
    CERAI_HIDUP,
    CERAI_MATI,
    KAWIN,
    blood_type_on_card,
    label_of,
)
from ektp.residents.rules import (
    ERROR_CODES,
    ResidentRuleError,
    age_on,
    compose_nik_prefix,
    format_nik,
    is_wajib_ktp,
    mask_nik,
    parse_kk,
    parse_nik,
    validate_birth_date,
    validate_name,
)

TODAY = date(2026, 6, 1)
DEPOK_PANCORAN_MAS = "32.76.01"
KUPANG_ALAK = "53.71.01"  # Kota Kupang's first kecamatan


def _codes(info) -> set[str]:
    return {warning.code for warning in info.warnings}


# One concrete example per error code: (description, callable, expected code).
ERROR_CASES = [
    ("nik too short", lambda: parse_nik("327601", today=TODAY), "nik_format"),
    ("nik 17 digits", lambda: parse_nik("32760107089500011", today=TODAY), "nik_format"),
    ("nik with letter", lambda: parse_nik("327601070895000A", today=TODAY), "nik_format"),
    ("nik arabic digits", lambda: parse_nik("٣٢٧٦٠١٠٧٠٨٩٥٠٠٠١", today=TODAY), "nik_format"),
    ("province 20", lambda: parse_nik("2076010708950001", today=TODAY), "nik_province_unknown"),
    ("province 00", lambda: parse_nik("0076010708950001", today=TODAY), "nik_province_unknown"),
    ("regency 00", lambda: parse_nik("3200010708950001", today=TODAY), "nik_region_zero"),
    ("district 00", lambda: parse_nik("3276000708950001", today=TODAY), "nik_region_zero"),
    ("day 00", lambda: parse_nik("3276010008950001", today=TODAY), "nik_day"),
    ("day 32", lambda: parse_nik("3276013208950001", today=TODAY), "nik_day"),
    ("day 40", lambda: parse_nik("3276014008950001", today=TODAY), "nik_day"),
    ("day 72", lambda: parse_nik("3276017208950001", today=TODAY), "nik_day"),
    ("month 00", lambda: parse_nik("3276010700950001", today=TODAY), "nik_month"),
    ("month 13", lambda: parse_nik("3276010713950001", today=TODAY), "nik_month"),
    ("31 April", lambda: parse_nik("3276013104950001", today=TODAY), "nik_date"),
    ("30 Feb women", lambda: parse_nik("3276017002950001", today=TODAY), "nik_date"),
    ("29 Feb 1901/2001", lambda: parse_nik("3276012902010001", today=TODAY), "nik_date"),
    ("nik serial 0000", lambda: parse_nik("3276010708950000", today=TODAY), "nik_serial_zero"),
    ("kk 15 digits", lambda: parse_kk("327601150315000", today=TODAY), "kk_format"),
    ("kk regency 00", lambda: parse_kk("3200011503150001", today=TODAY), "kk_region_zero"),
    ("kk district 00", lambda: parse_kk("3276001503150001", today=TODAY), "kk_region_zero"),
    ("kk day + 40", lambda: parse_kk("3276015503150001", today=TODAY), "kk_date"),
    ("kk 31 Feb", lambda: parse_kk("3276013102150001", today=TODAY), "kk_date"),
    ("kk tomorrow", lambda: parse_kk("3276010206260001", today=TODAY), "kk_date_future"),
    ("kk serial 0000", lambda: parse_kk("3276011503150000", today=TODAY), "kk_serial_zero"),
    ("name blank", lambda: validate_name("   "), "name_empty"),
    ("legacy name blank", lambda: validate_name("", strict=False), "name_empty"),
    ("name 61 chars", lambda: validate_name("A" * 30 + " " + "B" * 30), "name_too_long"),
    ("legacy 256 chars", lambda: validate_name("A" * 256, strict=False), "name_too_long"),
    ("one word", lambda: validate_name("SUKARNO"), "name_one_word"),
    ("title + one word", lambda: validate_name("H. MUHAMMAD"), "name_one_word"),
    ("digits", lambda: validate_name("BUDI 2 SANTOSO"), "name_characters"),
    ("hyphen", lambda: validate_name("SITI-AISYAH RAHMA"), "name_characters"),
    ("accent", lambda: validate_name("JOSÉ RIZAL"), "name_characters"),
    ("legacy control", lambda: validate_name("BUDI\x00", strict=False), "name_characters"),
    ("born tomorrow", lambda: validate_birth_date(date(2026, 6, 2), TODAY), "birth_date_future"),
]


@pytest.mark.parametrize(("call", "code"), [case[1:] for case in ERROR_CASES],
                         ids=[case[0] for case in ERROR_CASES])
def test_error_codes(call, code):
    with pytest.raises(ResidentRuleError) as excinfo:
        call()
    assert excinfo.value.code == code
    assert excinfo.value.message == str(excinfo.value)


def test_every_error_code_has_an_example():
    assert {case[2] for case in ERROR_CASES} == ERROR_CODES


# --- NIK ---------------------------------------------------------------------------------


def test_parse_nik_decodes_a_man():
    info = parse_nik("3276010708950001", today=TODAY)
    assert info.nik == "3276010708950001"
    assert (info.province_code, info.regency_code, info.district_code) == (
        "32", "32.76", "32.76.01",
    )
    assert (info.sex, info.birth_date, info.serial) == ("L", date(1995, 8, 7), 1)
    assert info.warnings == ()


def test_parse_nik_women_have_day_plus_40():
    info = parse_nik("3276014708950123", today=TODAY)
    assert (info.sex, info.birth_date, info.serial) == ("P", date(1995, 8, 7), 123)


def test_parse_nik_woman_born_on_the_31st():
    assert parse_nik("5371017112990001", today=TODAY).birth_date == date(1999, 12, 31)


def test_parse_nik_strips_spaces_dots_and_dashes():
    info = parse_nik(" 32.76.01 070895-0001 ", today=TODAY)
    assert info.nik == "3276010708950001"


@pytest.mark.parametrize(("nik", "expected"), [
    ("3276010101260001", date(2026, 1, 1)),  # yy == current yy -> 20yy
    ("3276010101000001", date(2000, 1, 1)),
    ("3276010101270001", date(1927, 1, 1)),  # yy > current yy -> 19yy
    ("3276010101990001", date(1999, 1, 1)),
])
def test_century_without_recorded_date(nik, expected):
    assert parse_nik(nik, today=TODAY).birth_date == expected


def test_century_from_recorded_birth_date_allows_centenarians():
    info = parse_nik("3276010101200001", recorded_birth_date=date(1920, 1, 1), today=TODAY)
    assert info.birth_date == date(1920, 1, 1)
    assert info.warnings == ()


def test_century_from_recorded_date_picks_the_closest_year():
    # NIK says 31-12-99, biodata says 1 Jan 2000: the NIK date is 1999, not 2099.
    info = parse_nik("3276013112990001", recorded_birth_date=date(2000, 1, 1), today=TODAY)
    assert info.birth_date == date(1999, 12, 31)
    assert _codes(info) == {"nik_birth_date_mismatch"}


@pytest.mark.parametrize(("nik", "expected"), [
    ("3276012902000001", date(2000, 2, 29)),
    ("3276016902040001", date(2004, 2, 29)),  # woman: 29 + 40
    ("3276012902960001", date(1996, 2, 29)),
])
def test_29_february_in_leap_years(nik, expected):
    assert parse_nik(nik, today=TODAY).birth_date == expected


def test_29_february_valid_only_in_the_other_century_is_accepted():
    # Biodata points to 1900, which is not a leap year; 2000 is, so the NIK is structurally valid.
    info = parse_nik("3276012902000001", recorded_birth_date=date(1900, 3, 1), today=TODAY)
    assert info.birth_date == date(2000, 2, 29)
    assert _codes(info) == {"nik_birth_date_mismatch"}


def test_warning_region_unknown_for_pre_pemekaran_code():
    # 91.01 was Merauke before Papua Selatan was split off in 2022 (now 93.01).
    info = parse_nik("9101010708950001", today=TODAY)
    assert _codes(info) == {"nik_region_unknown"}
    assert info.district_code == "91.01.01"


def test_region_exists_callback_is_used():
    seen = []

    def region_exists(code: str) -> bool:
        seen.append(code)
        return False

    info = parse_nik("3276010708950001", today=TODAY, region_exists=region_exists)
    assert seen == ["32.76.01"]
    assert _codes(info) == {"nik_region_unknown"}


def test_warning_sex_mismatch():
    info = parse_nik("3276014708950001", recorded_sex="L", today=TODAY)
    assert _codes(info) == {"nik_sex_mismatch"}
    assert info.sex == "P"


def test_warning_birth_date_mismatch_keeps_the_nik_date():
    info = parse_nik("3276010708950001", recorded_birth_date=date(1995, 8, 8), today=TODAY)
    assert _codes(info) == {"nik_birth_date_mismatch"}
    assert info.birth_date == date(1995, 8, 7)


def test_matching_biodata_gives_no_warnings():
    info = parse_nik("3276014708950001", recorded_birth_date=date(1995, 8, 7),
                     recorded_sex="P", today=TODAY)
    assert info.warnings == ()


def test_all_warnings_together():
    info = parse_nik("9101014708950001", recorded_birth_date=date(1995, 8, 8),
                     recorded_sex="L", today=TODAY)
    assert _codes(info) == {"nik_region_unknown", "nik_sex_mismatch", "nik_birth_date_mismatch"}


def test_recorded_sex_must_be_a_letter():
    with pytest.raises(ValueError):
        parse_nik("3276010708950001", recorded_sex="LAKI-LAKI", today=TODAY)


# --- KK ----------------------------------------------------------------------------------


def test_parse_kk():
    info = parse_kk("3276.0115.0315.0042", today=TODAY)
    assert info.kk == "3276011503150042"
    assert (info.district_code, info.recorded_on, info.serial) == (
        "32.76.01", date(2015, 3, 15), 42,
    )


def test_parse_kk_recorded_today_is_allowed():
    assert parse_kk("3276010106260001", today=TODAY).recorded_on == TODAY


def test_parse_kk_old_century():
    assert parse_kk("3276011503980001", today=TODAY).recorded_on == date(1998, 3, 15)


# --- composing a NIK ---------------------------------------------------------------------


def test_compose_nik_prefix_for_a_man_and_a_woman():
    assert compose_nik_prefix("32.76.01", date(1995, 8, 7), "L") == "327601070895"
    assert compose_nik_prefix("327601", date(1995, 8, 7), "P") == "327601470895"


def test_format_nik_pads_the_serial():
    assert format_nik("327601470895", 7) == "3276014708950007"
    assert format_nik("327601470895", 9999) == "3276014708959999"


@pytest.mark.parametrize(("prefix", "serial"), [
    ("327601470895", 0), ("327601470895", 10000), ("32760147089", 1), ("32760147089X", 1),
])
def test_format_nik_rejects_bad_input(prefix, serial):
    with pytest.raises(ValueError):
        format_nik(prefix, serial)


@pytest.mark.parametrize(("district", "sex"), [("32.76", "L"), ("32.76.01", "X")])
def test_compose_nik_prefix_rejects_bad_input(district, sex):
    with pytest.raises(ValueError):
        compose_nik_prefix(district, date(1995, 8, 7), sex)


# --- masking -----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "masked"), [
    ("3201015508950001", "3201********0001"),
    ("3201-0155.0895 0001", "3201********0001"),
    ("3276011503150042", "3276********0042"),  # a KK number
    ("12345678", "********"),
    ("", ""),
])
def test_mask_nik(value, masked):
    assert mask_nik(value) == masked


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("Muhammad Rizki", "MUHAMMAD RIZKI"),
    ("  muhammad \t  al  fatih ", "MUHAMMAD AL FATIH"),
    ("MA'RUF AMIN", "MA'RUF AMIN"),
    ("H. Muhammad Rizki, S.Pd.", "H. MUHAMMAD RIZKI, S.PD."),
    ("Dr. Ir. H. Budi Santoso, M.Si.", "DR. IR. H. BUDI SANTOSO, M.SI."),
    ("A" * 29 + " " + "B" * 30, "A" * 29 + " " + "B" * 30),  # exactly 60
])
def test_strict_names_accepted(raw, expected):
    assert validate_name(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("Sukarno", "SUKARNO"),
    ("Budi 2", "BUDI 2"),
    ("Siti-Aisyah", "SITI-AISYAH"),
    ("A " * 127 + "B", "A " * 127 + "B"),  # exactly 255
])
def test_legacy_names_accepted(raw, expected):
    assert validate_name(raw, strict=False) == expected


# --- dates and eligibility ---------------------------------------------------------------


def test_validate_birth_date_today_is_fine():
    assert validate_birth_date(TODAY, TODAY) == TODAY


@pytest.mark.parametrize(("day", "age"), [
    (date(2025, 2, 28), 16), (date(2025, 3, 1), 17), (date(2028, 2, 29), 20),
])
def test_age_on_for_a_29_february_birthday(day, age):
    assert age_on(date(2008, 2, 29), day) == age


def test_age_on_before_birth_is_an_error():
    with pytest.raises(ValueError):
        age_on(TODAY, date(2026, 5, 31))


@pytest.mark.parametrize(("birth", "status", "expected"), [
    (date(2009, 6, 1), BELUM_KAWIN, True),  # 17th birthday today
    (date(2009, 6, 2), BELUM_KAWIN, False),  # turns 17 tomorrow
    (date(2010, 1, 1), KAWIN, True),  # 16 and married
    (date(2010, 1, 1), CERAI_MATI, True),  # 16 and widowed
    (date(2010, 1, 1), CERAI_HIDUP, True),  # 16 and divorced
    (date(2010, 1, 1), BELUM_KAWIN, False),
])
def test_is_wajib_ktp_for_wni(birth, status, expected):
    assert is_wajib_ktp(birth, status, TODAY) is expected


def test_is_wajib_ktp_for_wna_needs_kitap():
    adult = date(1990, 1, 1)
    assert is_wajib_ktp(adult, KAWIN, TODAY, citizenship="WNA") is False
    assert is_wajib_ktp(adult, KAWIN, TODAY, citizenship="WNA", has_kitap=True) is True
    assert is_wajib_ktp(date(2010, 1, 1), BELUM_KAWIN, TODAY, "WNA", has_kitap=True) is False


def test_is_wajib_ktp_rejects_future_birth_and_unknown_citizenship():
    with pytest.raises(ResidentRuleError) as excinfo:
        is_wajib_ktp(date(2026, 6, 2), BELUM_KAWIN, TODAY)
    assert excinfo.value.code == "birth_date_future"
    with pytest.raises(ValueError):
        is_wajib_ktp(date(1990, 1, 1), KAWIN, TODAY, citizenship="DUA")


# --- reference lists ---------------------------------------------------------------------


@pytest.mark.parametrize(("choices", "size"), [
    (reference.AGAMA, 7), (reference.STATUS_PERKAWINAN, 4), (reference.GOLONGAN_DARAH, 13),
    (reference.JENIS_KELAMIN, 2), (reference.KEWARGANEGARAAN, 2), (reference.PEKERJAAN, 89),
    (reference.SHDK, 11),
])
def test_reference_lists_are_numbered_1_to_n(choices, size):
    assert [code for code, _ in choices] == list(range(1, size + 1))
    assert len({label for _, label in choices}) == size


def test_reference_labels():
    assert label_of(reference.PEKERJAAN, 1) == "BELUM/TIDAK BEKERJA"
    assert label_of(reference.PEKERJAAN, 88) == "WIRASWASTA"
    assert label_of(reference.PEKERJAAN, 89) == "LAINNYA"
    assert label_of(reference.SHDK, 1) == "KEPALA KELUARGA"
    with pytest.raises(KeyError):
        label_of(reference.AGAMA, 8)


@pytest.mark.parametrize(("code", "printed"), [(1, "A"), (3, "AB"), (12, "O-"), (13, "-"),
                                               (None, "-")])
def test_blood_type_on_card(code, printed):
    assert blood_type_on_card(code) == printed


# --- properties --------------------------------------------------------------------------

districts = st.sampled_from([KUPANG_ALAK, DEPOK_PANCORAN_MAS])
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
sexes = st.sampled_from(["L", "P"])
serials = st.integers(min_value=1, max_value=9999)


@given(districts, birth_dates, sexes, serials)
def test_compose_then_parse_round_trips(district, birth_date, sex, serial):
    nik = format_nik(compose_nik_prefix(district, birth_date, sex), serial)
    info = parse_nik(nik, recorded_birth_date=birth_date, recorded_sex=sex, today=TODAY)
    assert (info.district_code, info.sex, info.birth_date, info.serial) == (
        district, sex, birth_date, serial,
    )
    assert info.warnings == ()


@given(districts, st.dates(min_value=date(1927, 1, 1), max_value=TODAY), sexes, serials)
def test_century_inference_within_the_last_100_years(district, birth_date, sex, serial):
    nik = format_nik(compose_nik_prefix(district, birth_date, sex), serial)
    assert parse_nik(nik, today=TODAY).birth_date == birth_date


@given(st.one_of(
    st.text(),
    st.from_regex(r"[0-9]{16}", fullmatch=True),
    st.from_regex(r"[0-9 .\-]{14,22}", fullmatch=True),
))
def test_parse_nik_only_raises_rule_errors(raw):
    try:
        parse_nik(raw, today=TODAY)
    except ResidentRuleError as error:
        assert error.code in ERROR_CODES
