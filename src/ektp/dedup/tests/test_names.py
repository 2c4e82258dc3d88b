"""Indonesian name and birth-place normalisation: one test per rule, with examples."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ektp.dedup.engine.names import (
    birth_place_key,
    normalise_birth_place,
    normalise_name,
    phonetic_key,
    phonetic_token,
)


def name(raw: str) -> str:
    return normalise_name(raw).name


@pytest.mark.parametrize("raw, expected", [
    ("dédé   sumarni", "DEDE SUMARNI"),        # upper case, accents dropped, spaces collapsed
    ("Ma'ruf Amin", "MARUF AMIN"),            # apostrophe vanishes without a space
    ("Nur-Hayati", "NUR HAYATI"),             # hyphen separates parts
    ("M.Rizki", "MUHAMMAD RIZKI"),            # a dot separates parts once titles are gone
])
def test_case_accents_and_punctuation(raw, expected):
    assert name(raw) == expected


@pytest.mark.parametrize("raw", [
    "Muhammad Rizki", "Muhamad Rizki", "Mohammad Rizki", "Mohamad Rizki", "Moh. Rizki",
    "Moch. Rizki", "Mochammad Rizki", "Muh. Rizki", "Mhd. Rizki", "M. Rizki", "M Rizki",
])
def test_muhammad_variants_are_one_token(raw):
    assert name(raw) == "MUHAMMAD RIZKI"


def test_a_lone_m_is_not_expanded():
    assert name("M") == "M"
    assert name("Rizki M.") == "RIZKI M"  # only a leading M. in a longer name is Muhammad


@pytest.mark.parametrize("raw, expected", [
    ("Sitti Aminah", "SITI AMINAH"), ("Sity Aminah", "SITI AMINAH"),
    ("Noor Hidayah", "NUR HIDAYAH"), ("Noer Hidayah", "NUR HIDAYAH"),
    ("Nurul Hidayah", "NUR HIDAYAH"),
    ("Abd. Rahman", "ABDUL RAHMAN"), ("Abdoel Rahman", "ABDUL RAHMAN"),
])
def test_siti_nur_abdul_variants(raw, expected):
    assert name(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("NURHAYATI", "NUR HAYATI"),          # glued prefix split
    ("NURULHUDA", "NUR HUDA"),
    ("SITIAMINAH", "SITI AMINAH"),
    ("ABDULRAHMAN", "ABDUL RAHMAN"),
    ("ABDURRAHMAN", "ABDUL RAHMAN"),      # Arabic assimilation: abdur-rahman = abdul rahman
    ("ABDUSSALAM", "ABDUL SALAM"),
    ("ABDULLAH", "ABDULLAH"),             # a name of its own
    ("NUR", "NUR"),
])
def test_glued_prefixes(raw, expected):
    assert name(raw) == expected


@pytest.mark.parametrize("raw, expected, titles", [
    ("H. Ahmad Fauzi", "AHMAD FAUZI", ("H",)),
    ("Hj. Siti Aminah", "SITI AMINAH", ("HJ",)),
    ("Ir. Soekarno", "SOEKARNO", ("IR",)),
    ("Drs. H. Bambang", "BAMBANG", ("DRS", "H")),
    ("Dra. Sri Wahyuni", "SRI WAHYUNI", ("DRA",)),
    ("Prof. Dr. Budi Santoso", "BUDI SANTOSO", ("PROF", "DR")),
    ("KH Hasyim Asyari", "HASYIM ASYARI", ("KH",)),
])
def test_titles_before_the_name(raw, expected, titles):
    result = normalise_name(raw)
    assert (result.name, result.titles) == (expected, titles)


@pytest.mark.parametrize("raw, expected, titles", [
    ("Ahmad Fauzi, S.Pd.", "AHMAD FAUZI", ("SPD",)),
    ("Ahmad Fauzi, S.Pd., M.Pd.", "AHMAD FAUZI", ("MPD", "SPD")),
    ("Ahmad Fauzi S.Pd", "AHMAD FAUZI", ("SPD",)),          # without a comma
    ("Ahmad Fauzi SPD", "AHMAD FAUZI", ("SPD",)),           # without dots
    ("Rina, S.H.", "RINA", ("SH",)),
    ("Rina S.E.", "RINA", ("SE",)),
    ("Budi, S.Kom.", "BUDI", ("SKOM",)),
    ("Dewi M.Si.", "DEWI", ("MSI",)),
    ("Lestari, A.Md.", "LESTARI", ("AMD",)),
    ("Agus S. T.", "AGUS", ("ST",)),                          # a degree written with spaces
    ("H. Moch. Nurhayati, S.Pd.", "MUHAMMAD NUR HAYATI", ("H", "SPD")),
])
def test_titles_after_the_name(raw, expected, titles):
    result = normalise_name(raw)
    assert (result.name, result.titles) == (expected, titles)


def test_short_degrees_need_dots_to_count():
    assert name("AGUS ST") == "AGUS ST"  # could be a name part
    assert name("AGUS S.T.") == "AGUS"


def test_a_name_of_titles_only_is_kept():
    assert name("H. Dr.") == "H DR"


def test_order_of_parts_does_not_change_the_token_key():
    assert normalise_name("Rizki Muhammad").token_key == normalise_name("M. Rizki").token_key


def test_spacing_does_not_change_the_compact_key():
    assert normalise_name("Agus Salim").compact_key == normalise_name("AGUSSALIM").compact_key


def test_one_word_names():
    result = normalise_name("Sukarno")
    assert (result.name, result.token_key, result.tokens) == ("SUKARNO", "SUKARNO", ("SUKARNO",))


def test_empty_names():
    assert name("") == "" and name(None) == ""


@pytest.mark.parametrize("old, new", [
    ("SOEKARNO", "SUKARNO"),     # oe -> u
    ("DJOKO", "JOKO"),           # dj -> j
    ("TJAHJO", "CAHYO"),         # tj -> c, j -> y
    ("SOERABAJA", "SURABAYA"),   # old j is modern y
    ("ACHMAD", "AHMAD"),         # ch -> kh -> h
    ("KHAIRUL", "HAIRUL"),
    ("MUHAMMAD", "MUHAMAD"),     # double letters
    ("SITTI", "SITI"),
    ("RIZKY", "RIZKI"),          # final y -> i
    ("RIZQI", "RIZKI"),          # q -> k
    ("RIZKI", "RISKI"),          # z -> s
    ("RAMADHAN", "RAMADAN"),     # dh -> d
    ("FATHUR", "FATUR"),         # th -> t
    ("SYAHRUL", "SAHRUL"),       # sy -> s
    ("SUGIYONO", "SUGIONO"),     # iy before a vowel
    ("SUWARNO", "SUARNO"),       # uw before a vowel
    ("FATIMAH", "FATIMA"),       # final h after a vowel
    ("NOVI", "NOFI"),            # v -> f
])
def test_phonetic_folds_spelling_variants(old, new):
    assert phonetic_token(old) == phonetic_token(new)


def test_phonetic_key_is_sorted_and_folded():
    assert phonetic_key("Soekarno Achmad") == phonetic_key("Ahmad Sukarno")


@pytest.mark.parametrize("raw, expected", [
    ("Kab. Sleman", "SLEMAN"), ("KABUPATEN SLEMAN", "SLEMAN"), ("Kota Malang", "MALANG"),
    ("Kodya Malang", "MALANG"), ("KOTAMADYA MALANG", "MALANG"),
    ("KOTA ADM. JAKARTA SELATAN", "JAKARTA"), ("Jakarta Timur", "JAKARTA"),
    ("Ujung Pandang", "MAKASSAR"), ("Batavia", "JAKARTA"), ("Djokjakarta", "YOGYAKARTA"),
    ("Soerabaja", "SURABAYA"), ("Kota Baru", "KOTA BARU"), ("Solo", "SURAKARTA"),
])
def test_birth_places(raw, expected):
    assert normalise_birth_place(raw) == expected


def test_birth_place_key_folds_spelling():
    assert birth_place_key("KAB. BANJOEWANGI") == birth_place_key("Banyuwangi")


TITLE_WORDS = ["H.", "Hj.", "Drs.", "Ir.", "S.Pd.", "M.", "Moh.", "Sitti", "Noor", "Abd.",
               "NURHAYATI", "ABDURRAHMAN", ",", "S.", "PD.", "dr.", "-"]
name_text = st.lists(
    st.one_of(st.sampled_from(TITLE_WORDS),
              st.text(alphabet="ABDHIJKMNORSTUYaeiou.,' -", min_size=1, max_size=10)),
    max_size=6,
).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(name_text)
def test_normalisation_is_idempotent(raw):
    once = normalise_name(raw)
    twice = normalise_name(once.name)
    assert twice.name == once.name
    assert twice.token_key == once.token_key and twice.phonetic_key == once.phonetic_key


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_text_normalises_idempotently(raw):
    once = normalise_name(raw).name
    assert normalise_name(once).name == once
    assert normalise_birth_place(normalise_birth_place(raw)) == normalise_birth_place(raw)
