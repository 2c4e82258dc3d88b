"""Indonesian name and birth-place normalisation for demographic linkage.

Plain Python, no Django. Every rule below carries an example; the tests in
``dedup/tests/test_names.py`` check each one.

A name becomes a :class:`NormalisedName` with
- ``name``: canonical tokens in written order, titles removed ("H. Moh. Rizki, S.Pd." ->
  "MUHAMMAD RIZKI");
- ``titles``: the titles that were removed (("H", "SPD")), kept apart because Permendagri 73/2022
  allows them on the KK and KTP-el but they are not part of the identity;
- ``token_key``: the canonical tokens sorted, so the order of name parts does not matter
  ("RIZKI MUHAMMAD" and "MUHAMMAD RIZKI" share "MUHAMMAD RIZKI");
- ``compact_key``: the tokens joined without spaces, so spacing does not matter
  ("NUR HAYATI" and "NURHAYATI" share "NURHAYATI");
- ``phonetic_key``: the sorted phonetic tokens, folding old (pre-1972 EYD) spellings and common
  spelling variants ("SOEKARNO" and "SUKARNO" share "SUKARNO").

``normalise_name`` is idempotent: normalising its ``name`` again gives the same result.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Titles written before the name (religious, academic, adat). "H. Ahmad" is Haji Ahmad.
PREFIX_TITLES = frozenset({
    "H", "HJ", "HAJI", "HAJJAH", "KH", "KYAI", "UST", "USTADZ", "USTAZ", "USTADZAH", "HABIB",
    "DR", "DRS", "DRA", "DRG", "IR", "PROF", "NS", "R", "RA", "RR", "RADEN", "TGK", "TENGKU",
})
# Academic degrees written after the name, compacted (dots removed): "S.Pd." -> "SPD".
SUFFIX_TITLES = frozenset({
    "SPD", "SPDI", "SPDSD", "SAG", "SSOS", "SIP", "SKEP", "SKES", "SSI", "ST", "SKOM", "SH",
    "SHI", "SE", "SAK", "SFARM", "SPSI", "SHUT", "SP", "SS", "SSN", "STP", "SPT", "SKM", "SGZ",
    "SIKOM", "SHUM", "SSTP", "MM", "MKES", "MPD", "MSI", "MH", "MT", "MAG", "MKOM", "MBA", "MSC",
    "MA", "MPH", "MAP", "MEKON", "PHD", "AMD", "AMA", "AMK", "AMDKEP", "AMDKEB", "LC", "MHUM",
    "DIPL", "BSC", "SPOG", "SPA", "SPB", "SPM", "SPPD", "SPS", "MHI", "MPDI", "SPDK", "SKED",
})
# Single-letter or very short tokens that are degrees only when written with dots ("S.T."),
# never as a bare trailing word of a name ("AGUS ST" could be a name part; "AGUS S.T." is not).
DOTTED_ONLY_TITLES = frozenset({"ST", "SP", "SS", "MA", "MT", "SE", "SH"})

# Canonical spellings: the same name written differently maps to one token.
CANONICAL_TOKENS = {
    # Muhammad: "Muhamad", "Mohammad", "Moh.", "Moch.", "Mhd." -> "MUHAMMAD"
    **dict.fromkeys([
        "MUHAMMAD", "MUHAMAD", "MUHAMMED", "MUHAMED", "MOHAMMAD", "MOHAMAD", "MOHAMMED",
        "MOHAMED", "MOHD", "MOH", "MUH", "MHD", "MOCH", "MOCHAMMAD", "MOCHAMAD", "MOCHAMMED",
        "MUCHAMMAD", "MUCHAMAD", "MUKHAMMAD", "MUKHAMAD", "MOKHAMMAD", "MOKHAMAD", "MUHAMAT",
        "MUHAMMAT", "MOHAMAT", "MOCHAMAT", "MOHAMMAT",
    ], "MUHAMMAD"),
    # Siti: "Sitti", "Sity" -> "SITI"
    **dict.fromkeys(["SITI", "SITTI", "SITY", "SITIH"], "SITI"),
    # Nur: "Noor", "Noer", "Nurul" -> "NUR" ("Nurul Hidayah" is "Nur Hidayah")
    **dict.fromkeys(["NUR", "NOOR", "NOER", "NOR", "NUUR", "NURUL", "NOORUL"], "NUR"),
    # Abdul: "Abd.", "Abdoel" -> "ABDUL"
    **dict.fromkeys(["ABDUL", "ABDOEL", "ABDOL", "ABD", "ABDL"], "ABDUL"),
}
# Prefixes written glued to the next name part: "NURHAYATI" -> "NUR HAYATI",
# "ABDULRAHMAN" -> "ABDUL RAHMAN". Longest first so "NURUL" wins over "NUR".
GLUED_PREFIXES = ("NOORUL", "NURUL", "NOER", "NOOR", "NUR", "ABDOEL", "ABDUL", "SITTI", "SITI")
# "ABDULLAH" is a name of its own, not "ABDUL LAH".
GLUED_EXCEPTIONS = frozenset({"ABDULLAH", "ABDULAH", "SITIAH"})
# Arabic assimilation: "ABDURRAHMAN" = "ABDUL RAHMAN", "ABDUSSALAM" = "ABDUL SALAM".
_ASSIMILATED_ABDUL = re.compile(r"^ABDU([RSNZDT])\1?([A-Z]{2,})$")
_MUHAMMAD_INITIAL = "M"

_TOKEN_SPLIT = re.compile(r"[\s,;/]+")
_NOT_LETTER = re.compile(r"[^A-Z]")


@dataclass(frozen=True)
class NormalisedName:
    name: str
    titles: tuple[str, ...]
    token_key: str
    compact_key: str
    phonetic_key: str

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(self.name.split())


def _ascii_upper(raw: str) -> str:
    """"Dédé" -> "DEDE": accents dropped, upper case."""
    decomposed = unicodedata.normalize("NFKD", str(raw))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _raw_tokens(raw: str) -> list[str]:
    """Split on spaces and commas; keep dots so "S.Pd." can still be recognised as a title.
    Apostrophes vanish without a space: "MA'RUF" -> "MARUF"."""
    text = _ascii_upper(raw).replace("'", "").replace("`", "").replace("-", " ")
    return [t for t in _TOKEN_SPLIT.split(text) if _NOT_LETTER.sub("", t)]


def _compact(token: str) -> str:
    return _NOT_LETTER.sub("", token)


def _is_suffix_title(token: str) -> bool:
    compact = _compact(token)
    if compact in DOTTED_ONLY_TITLES:
        return "." in token
    return compact in SUFFIX_TITLES


def _strip_titles(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Leading prefix titles ("H. DRS. AHMAD") and trailing degrees ("AHMAD, S.PD., M.PD" or
    "AHMAD SPD") are removed. A name that is nothing but titles is kept as it is."""
    titles: list[str] = []
    start, end = 0, len(tokens)
    while start < end and _compact(tokens[start]) in PREFIX_TITLES:
        titles.append(_compact(tokens[start]))
        start += 1
    while end > start + 1:
        joined = _joined_trailing_title(tokens, start, end)
        if not joined:
            break
        titles.append(joined[0])
        end -= joined[1]
    if start >= end:
        return tokens, []
    return tokens[start:end], titles


def _joined_trailing_title(tokens: list[str], start: int, end: int) -> tuple[str, int] | None:
    """A degree written with spaces inside ("S. PD.") spans two or three tokens."""
    for width in (1, 2, 3):
        if end - width <= start:
            break
        part = tokens[end - width:end]
        if width > 1 and not all("." in t for t in part[:-1]):
            continue
        candidate = "".join(part) if width > 1 else part[0]
        if _is_suffix_title(candidate if width == 1 else candidate + "."):
            return _compact(candidate), width
    return None


def _split_dots(tokens: list[str]) -> list[str]:
    """"M.RIZKI" -> "M", "RIZKI"; dots are only separators once titles are gone."""
    out: list[str] = []
    for token in tokens:
        out.extend(p for p in (_compact(x) for x in token.split(".")) if p)
    return out


def _unglue(token: str) -> list[str]:
    """"NURHAYATI" -> "NUR HAYATI"; "ABDURRAHMAN" -> "ABDUL RAHMAN"; "ABDULLAH" stays."""
    if token in GLUED_EXCEPTIONS:
        return [token]
    match = _ASSIMILATED_ABDUL.match(token)
    if match:
        return ["ABDUL", match.group(1) + match.group(2)]
    for prefix in GLUED_PREFIXES:
        rest = token[len(prefix):]
        if token.startswith(prefix) and len(rest) >= 3 and token not in CANONICAL_TOKENS:
            return [prefix, *_unglue(rest)]
    return [token]


def _canonical_tokens(tokens: list[str]) -> list[str]:
    """Spelling variants to one token; a leading "M." in a longer name is Muhammad."""
    out: list[str] = []
    for token in tokens:
        out.extend(_unglue(token))
    out = [CANONICAL_TOKENS.get(t, t) for t in out]
    if len(out) > 1 and out[0] == _MUHAMMAD_INITIAL:
        out[0] = "MUHAMMAD"
    return out


def _normalise_step(tokens: list[str]) -> tuple[list[str], list[str]]:
    kept, titles = _strip_titles(tokens)
    return _canonical_tokens(_split_dots(kept)), titles


@lru_cache(maxsize=500_000)
def normalise_name(raw: str | None) -> NormalisedName:
    """"H. Moch. Nurhayati, S.Pd." -> name "MUHAMMAD NUR HAYATI", titles ("H", "SPD")."""
    tokens = _raw_tokens(raw or "")
    titles: list[str] = []
    for _ in range(10):  # repeat until stable, so normalising twice changes nothing
        new_tokens, found = _normalise_step(tokens)
        titles.extend(found)
        if new_tokens == tokens:
            break
        tokens = new_tokens
    return _build(tokens, tuple(titles))


def _build(tokens: list[str], titles: tuple[str, ...]) -> NormalisedName:
    name = " ".join(tokens)
    phonetic = sorted(phonetic_token(t) for t in tokens)
    return NormalisedName(
        name=name, titles=titles, token_key=" ".join(sorted(tokens)),
        compact_key="".join(tokens), phonetic_key=" ".join(p for p in phonetic if p),
    )


# Phonetic folding, applied in order. Old spellings (before EYD 1972) first.
_PHONETIC_RULES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(p), r) for p, r in (
        ("OE", "U"),      # SOEKARNO -> SUKARNO
        ("DJ", "J"),      # DJOKO -> JOKO
        ("TJ", "C"),      # TJAHJO -> CAHJO (then J -> Y: CAHYO)
        ("SJ", "SY"),     # SJAFRUDDIN -> SYAFRUDDIN
        ("NJ", "NY"),     # NJOMAN -> NYOMAN
        ("CH", "KH"),     # ACHMAD -> AKHMAD (old "ch" is modern "kh")
        ("KH", "H"),      # KHAIRUL -> HAIRUL, AKHMAD -> AHMAD
        ("J", "Y"),       # old "j" is modern "y": SOERABAJA -> SURABAYA; keys fold J and Y
        ("TH", "T"),      # FATHUR -> FATUR
        ("DH", "D"),      # RAMADHAN -> RAMADAN
        ("SY", "S"),      # SYAHRUL -> SAHRUL
        ("PH", "F"),      # PHILIPUS -> FILIPUS
        ("V", "F"),       # NOVI -> NOFI
        ("Q", "K"),       # RIZQI -> RIZKI
        ("X", "KS"),
        ("Z", "S"),       # RIZKI -> RISKI
        ("IY(?=[AEIOU])", "I"),  # SUGIYONO -> SUGIONO
        ("UW(?=[AEIOU])", "U"),  # SUWARNO -> SUARNO
        ("Y$", "I"),      # RIZKY -> RISKI, DEDY -> DEDI
        ("(?<=[AEIOU])H$", ""),  # FATIMAH -> FATIMA, ABDULLAH -> ABDULLA
        (r"([A-Z])\1+", r"\1"),  # double letters: MUHAMMAD -> MUHAMAD, SITTI -> SITI
    )
)


@lru_cache(maxsize=200_000)
def phonetic_token(token: str) -> str:
    """A key for common spelling variants of one name part: "SOEKARNO" and "SUKARNO" -> "SUKARNO";
    "DJOKO" and "JOKO" -> "YOKO" (J and Y fold together); "RIZKY" / "RIZQI" -> "RISKI"."""
    out = _compact(_ascii_upper(token))
    for pattern, replacement in _PHONETIC_RULES:
        out = pattern.sub(replacement, out)
    return out


def phonetic_key(name: str | None) -> str:
    return normalise_name(name).phonetic_key


# --- Birth places -------------------------------------------------------------------------

# "KAB. SLEMAN", "KABUPATEN SLEMAN", "KOTA MALANG", "KODYA MALANG" -> "SLEMAN", "MALANG".
_PLACE_PREFIX = re.compile(
    r"^(KOTA ADMINISTRASI|KOTA ADM|KOTAMADYA|KODYA|KOTA|KABUPATEN|KAB|KOTIF|KOTA ADMINISTRATIF)\b"
)
# Regencies whose own name starts with "KOTA": keep them whole.
_PLACE_KEEP = frozenset({"KOTA BARU", "KOTABARU", "KOTA AGUNG", "KOTA BUMI", "KOTAMOBAGU"})
# Old and colonial names, and popular short forms, to the current name.
OLD_PLACE_NAMES = {
    "BATAVIA": "JAKARTA", "DJAKARTA": "JAKARTA", "DKI JAKARTA": "JAKARTA",
    "UJUNG PANDANG": "MAKASSAR", "UJUNGPANDANG": "MAKASAR", "MAKASAR": "MAKASSAR",
    "KUTARAJA": "BANDA ACEH", "KOETARADJA": "BANDA ACEH",
    "HOLLANDIA": "JAYAPURA", "SUKARNOPURA": "JAYAPURA", "KOTA BARU IRIAN": "JAYAPURA",
    "BUITENZORG": "BOGOR", "JOGJAKARTA": "YOGYAKARTA", "DJOKJAKARTA": "YOGYAKARTA",
    "JOGJA": "YOGYAKARTA", "JOGYA": "YOGYAKARTA", "YOGYA": "YOGYAKARTA", "JOGYAKARTA": "YOGYAKARTA",
    "SOLO": "SURAKARTA", "TANJUNG KARANG": "BANDAR LAMPUNG", "TELUK BETUNG": "BANDAR LAMPUNG",
    "TANJUNGKARANG": "BANDAR LAMPUNG", "FORT DE KOCK": "BUKITTINGGI", "BUKIT TINGGI": "BUKITTINGGI",
}
_JAKARTA_PARTS = re.compile(r"^JAKARTA (PUSAT|UTARA|BARAT|SELATAN|TIMUR)$")


@lru_cache(maxsize=100_000)
def normalise_birth_place(raw: str | None) -> str:
    """"Kab. Sleman" -> "SLEMAN"; "KOTA ADM. JAKARTA SELATAN" -> "JAKARTA";
    "Ujung Pandang" -> "MAKASSAR"; "Soerabaja" -> "SURABAYA"."""
    text = " ".join(_NOT_LETTER.sub(" ", _ascii_upper(raw or "")).split())
    if text not in _PLACE_KEEP:
        text = " ".join(_PLACE_PREFIX.sub("", text).split())
    text = OLD_PLACE_NAMES.get(text, text)
    if _JAKARTA_PARTS.match(text):
        return "JAKARTA"
    return _MODERN_BY_PHONETIC.get(phonetic_token(text), text)


# Old spellings of towns, recognised by their phonetic key: "SOERABAJA" -> "SURABAYA".
_MODERN_TOWNS = (
    "SURABAYA", "SURAKARTA", "YOGYAKARTA", "JAKARTA", "CIREBON", "CIANJUR", "PURWOKERTO",
    "BANYUWANGI", "BUKITTINGGI", "PALEMBANG", "SEMARANG", "MAGELANG", "SUKABUMI", "TASIKMALAYA",
    "BANJARMASIN", "PONTIANAK", "KUDUS", "JEMBER", "TULUNGAGUNG", "BOJONEGORO", "SUMEDANG",
)
_MODERN_BY_PHONETIC = {phonetic_token(t): t for t in _MODERN_TOWNS}


def birth_place_key(raw: str | None) -> str:
    """A comparison key: the normalised place with spelling folded ("SOERABAJA" = "SURABAYA")."""
    return " ".join(phonetic_token(t) for t in normalise_birth_place(raw).split())
