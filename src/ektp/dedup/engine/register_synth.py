"""A synthetic Indonesian population register with planted duplicates and known truth.

Plain Python + numpy, no Django. The model, so that benchmark numbers can be read:
- People live in families on one KK (Kartu Keluarga): a couple with children, single adults,
  widowed parents, some with a grandparent. Members share the KK number, the address and, for
  the children, the mother's name. About 1% of people are twins (same birth date, same KK).
- Names follow several Indonesian styles: Javanese one- and two-word names, Muslim names with
  Muhammad / Ahmad / Siti / Nur / Abdul, Batak/Minahasa/Chinese-Indonesian family names shared by
  father and children, and Balinese birth-order names (I Wayan, Ni Made...). Name parts are drawn
  with Zipf weights, so common names repeat as they do in a real register.
- NIKs encode the kecamatan of first registration, the birth date (+40 for women) and a serial
  that counts up per prefix, so twins get consecutive serials. KK numbers encode the kecamatan and
  a recording date.
- ``dup_rate`` of the people (2% by default) have a repeat registration (10% of them two). A
  repeat gets, independently: a name variant (the rules of ``names.py`` applied backwards:
  Muhammad -> M. / Moh. / Mohammad, Siti -> Sitti, Nur -> Noor / Nurul, Abdul -> Abd., glued or
  split name parts, old spelling, titles added or dropped, name parts reordered or dropped);
  a typo; a day/month swap, one-digit slip or year off by one in the birth date; a new NIK that
  encodes the true birth date; and either the same KK, another KK in the same village (a second
  family card, e.g. after marriage) or a move to another kecamatan with a new KK and address.

``generate_register(n)`` returns the records as a DataFrame (engine fields plus ``person_id``)
and the true duplicate pairs.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

MALE_NAMES = (
    "AHMAD RIZKI FAUZI HIDAYAT SUTRISNO BAMBANG BUDI AGUS EKO JOKO DWI TRI ANDI ARIF HENDRA "
    "IRWAN RUDI SLAMET SUPRIYADI SUGIYONO WAHYU YUSUF IMAM HASAN HUSEIN ILHAM FAJAR BAYU ADITYA "
    "DIMAS RIZAL SYAIFUL KHAIRUL RAHMAN HAKIM SAPUTRA PRATAMA NUGROHO SETIAWAN HERMAWAN KURNIAWAN "
    "SUPARMAN SUHARTO SUYANTO MULYADI SUDARSONO HARYANTO TEGUH HARTONO SUKARNO BASUKI DARMAWAN "
    "FIRMANSYAH RAMADHAN HIDAYATULLAH FADLI FIKRI HAFIZ ZAINAL ARIFIN MUSTOFA SYAMSUL BAHRI "
    "ROSYID MAHMUD ISMAIL IBRAHIM YAHYA ZAKARIA ANWAR SUHENDRA DEDI DEDY HERI YUDI ASEP UJANG "
    "CECEP DADANG ENDANG AAN ROHMAT SOLEH JAJANG WAWAN IWAN AHMADI SUPRAPTO PURNOMO WIDODO "
    "SANTOSO GUNAWAN HALIM RAHMAT HARIS NANDA RENDY KEVIN DANIEL SAMUEL YOHANES PETRUS MARKUS "
    "ADI ALDI BAGAS GILANG AKBAR ANDIKA ARDIANSYAH JUNAIDI SUPRIYANTO TRISNO MARYONO KUSNADI "
    "CAHYO TJAHJO DJOKO SOEPARMAN RAHMANTO SUBAGYO SUMARNO SUWARNO SLAMETO PAIMAN SANUSI"
).split()
FEMALE_NAMES = (
    "DEWI SRI RINA WATI SUSANTI YULIANA FITRI AYU PUTRI INDAH RATNA NOVITA LESTARI WAHYUNI "
    "HAYATI AMINAH FATIMAH KHADIJAH AISYAH MARYAM RAHMAWATI HANDAYANI KURNIASIH PURWANTI "
    "SUMIATI SUPARTI SURTINI SUHARTI SUNARSIH MULYANI WULANDARI ANGGRAINI PERMATASARI "
    "RAHAYU SAFITRI RAMADHANI ANISA NABILA SALSABILA ZAHRA AULIA AMELIA DIAN EKA NOVI "
    "YANTI ERNA ENDAH TITIN IDA LILIS NENG ELIS EUIS IMAS YATI NINING CUCU HASANAH "
    "MAULIDA HIDAYAH KHOIRUNNISA ROHMAH ZUBAIDAH JUARIAH SARINAH PATIMAH MASITOH ROSITA "
    "MARIA YOHANA MARTHA RUTH DEBORA LIDYA SISKA MEGAWATI KARTIKA PUSPITA SEKAR LARASATI "
    "ARUM ASIH UTAMI KUSUMAWATI HERAWATI SETIAWATI YUNITA RIKA RIZKA FEBRIANTI AGUSTINA "
    "OKTAVIANI DESI WINDA TIKA NURAINI SUMARNI TUMINAH PAINEM SAMIRAH SUKINAH WAGINEM"
).split()
FAMILY_NAMES = (
    "SIREGAR NASUTION HARAHAP LUBIS SIMANJUNTAK PANJAITAN HUTAGALUNG SITOMPUL TAMBUNAN MANURUNG "
    "PANGARIBUAN SINAGA SEMBIRING GINTING TARIGAN LUMBANTOBING WOWOR RUNTUWENE PATTIRAJAWANE "
    "TANUWIJAYA WIJAYA KUSUMA HALIM SALIM TANOTO SIHOMBING SIMATUPANG PURBA DAULAY"
).split()
BALI_ORDER = ("WAYAN", "MADE", "NYOMAN", "KETUT")
STREETS = tuple(
    "MAWAR|MELATI|MERDEKA|DIPONEGORO|SUDIRMAN|KARTINI|PAHLAWAN|ANGGREK|KENANGA|FLAMBOYAN|"
    "CEMPAKA|MANGGA|NANGKA|DURIAN|RAYA|PEMUDA|VETERAN|GAJAH MADA|HAYAM WURUK|IMAM BONJOL|"
    "AHMAD YANI|GATOT SUBROTO|PANGERAN ANTASARI|KH AGUS SALIM|KRAJAN|SUMBERSARI|KARANGREJO|"
    "SIDOMULYO|TEGALSARI|WONOREJO|SUKAMAJU|PUCANG|BANARAN|NGEMPLAK|GEDANGAN|KEDUNGREJO".split("|")
)
TOWNS = (
    "SIDOARJO SURABAYA MALANG MOJOKERTO PASURUAN JOMBANG KEDIRI BLITAR MADIUN JEMBER "
    "BANYUWANGI GRESIK LAMONGAN TUBAN BOJONEGORO SEMARANG SURAKARTA YOGYAKARTA JAKARTA BANDUNG"
).split()
OLD_TOWN_SPELLING = {"SURABAYA": "SOERABAJA", "YOGYAKARTA": "DJOKJAKARTA", "JAKARTA": "DJAKARTA",
                     "SURAKARTA": "SOERAKARTA", "BANYUWANGI": "BANJOEWANGI"}
MALE_TITLES = ("H.", "DRS.", "IR.", "S.PD.", "S.H.", "S.E.", "S.KOM.", "M.PD.", "DR.")
FEMALE_TITLES = ("HJ.", "DRA.", "S.PD.", "A.MD.", "S.E.", "M.SI.", "S.KEP.")
SUFFIX_TITLE_SET = frozenset(("S.PD.", "S.H.", "S.E.", "S.KOM.", "M.PD.", "A.MD.", "M.SI.",
                              "S.KEP."))
MUHAMMAD_VARIANTS = ("M.", "MOH.", "MOCH.", "MUHAMAD", "MOHAMMAD", "MOHAMAD", "MHD.")
TOKEN_VARIANTS = {"SITI": ("SITTI",), "NUR": ("NOOR", "NURUL", "NOER"), "ABDUL": ("ABD.",)}
TWIN_BIRTH_SHARE = 0.012  # about 1% of all people are twins
OLD_SPELLING = (("U", "OE"), ("Y", "J"), ("C", "TJ"), ("J", "DJ"), ("KH", "CH"))


@dataclass
class SyntheticRegister:
    records: pd.DataFrame
    true_pairs: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class _Region:
    kecamatan: str  # 6 digits
    villages: tuple[str, ...]  # 10 digits
    town: str


class _Generator:
    """Stateful helper: a random source plus the NIK and KK serial counters."""

    def __init__(self, n: int, seed: int):
        self.rng = np.random.default_rng(seed)
        self.regions = _make_regions(max(3, n // 40_000), self.rng)
        self.nik_serials: dict[str, int] = {}
        self.kk_serials: dict[str, int] = {}
        self.male_cdf = _zipf_cdf(len(MALE_NAMES), self.rng)
        self.female_cdf = _zipf_cdf(len(FEMALE_NAMES), self.rng)
        self.family_cdf = _zipf_cdf(len(FAMILY_NAMES), self.rng)

    def pick(self, seq, cdf=None):
        if cdf is None:
            return seq[int(self.rng.integers(0, len(seq)))]
        return seq[min(int(np.searchsorted(cdf, self.rng.random())), len(seq) - 1)]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def given(self, sex: str) -> str:
        if sex == "M":
            return self.pick(MALE_NAMES, self.male_cdf)
        return self.pick(FEMALE_NAMES, self.female_cdf)

    def nik(self, kecamatan: str, born: date, sex: str) -> str:
        day = born.day + (40 if sex == "F" else 0)
        prefix = f"{kecamatan}{day:02d}{born.month:02d}{born.year % 100:02d}"
        serial = self.nik_serials.get(prefix, 0) + 1
        self.nik_serials[prefix] = serial
        return f"{prefix}{serial:04d}"

    def kk(self, kecamatan: str) -> str:
        recorded = date(2005, 1, 1) + timedelta(days=int(self.rng.integers(0, 7000)))
        prefix = f"{kecamatan}{recorded:%d%m%y}"
        serial = self.kk_serials.get(prefix, 0) + 1
        self.kk_serials[prefix] = serial
        return f"{prefix}{serial:04d}"

    def address(self) -> str:
        street = self.pick(STREETS)
        if self.chance(0.3):
            return (f"DUSUN {street} RT {int(self.rng.integers(1, 15)):03d}/"
                    f"RW {int(self.rng.integers(1, 8)):03d}")
        return (f"JL. {street} NO. {int(self.rng.integers(1, 200))} "
                f"RT {int(self.rng.integers(1, 15)):03d}/RW {int(self.rng.integers(1, 8)):03d}")


def _zipf_cdf(size: int, rng: np.random.Generator) -> np.ndarray:
    """Name parts are drawn with Zipf weights (a few very common, a long tail)."""
    weights = 1.0 / np.arange(1, size + 1) ** 0.9
    rng.shuffle(weights)
    return np.cumsum(weights / weights.sum())


def _make_regions(count: int, rng: np.random.Generator) -> list[_Region]:
    regions = []
    for i in range(count):
        kab, kec = 1 + i // 20, 1 + i % 20
        code = f"35{kab:02d}{kec:02d}"
        villages = tuple(f"{code}{2000 + v:04d}" for v in range(1, int(rng.integers(8, 20))))
        regions.append(_Region(code, villages, TOWNS[kab % len(TOWNS)]))
    return regions


# --- People and families -------------------------------------------------------------------

def _person_name(g: _Generator, sex: str, style: str, family_name: str, order: int) -> str:
    if style == "bali":
        lead = "I" if sex == "M" else "NI"
        return f"{lead} {BALI_ORDER[order % 4]} {g.given(sex)}"
    if style == "marga":
        return f"{g.given(sex)} {family_name}"
    parts = [g.given(sex)]
    if g.chance(0.55):
        parts.append(g.given(sex))
    if sex == "M" and g.chance(0.22):
        parts.insert(0, g.pick(("MUHAMMAD", "MUHAMMAD", "AHMAD", "ABDUL")))
    elif sex == "F" and g.chance(0.28):
        parts.insert(0, g.pick(("SITI", "SITI", "NUR")))
    if len(parts) > 1 and parts[0] == parts[1]:
        parts.pop(0)
    return " ".join(dict.fromkeys(parts))


def _with_title(g: _Generator, name: str, sex: str) -> str:
    title = g.pick(MALE_TITLES if sex == "M" else FEMALE_TITLES)
    return f"{name}, {title}" if title in SUFFIX_TITLE_SET else f"{title} {name}"


def _birth_date(g: _Generator, year_from: int, year_to: int) -> date:
    start = date(year_from, 1, 1).toordinal()
    end = date(max(year_from, year_to), 12, 31).toordinal()
    return date.fromordinal(int(g.rng.integers(start, end + 1)))


def _birth_place(g: _Generator, town: str, local_share: float) -> str:
    place = town if g.chance(local_share) else g.pick(TOWNS)
    form = g.rng.random()
    if form < 0.15:
        return f"KAB. {place}"
    if form < 0.2:
        return f"KOTA {place}"
    return place


def _adult(g, sex, style, family_name, region, born_from=1945, born_to=2000, order=0):
    born = _birth_date(g, born_from, born_to)
    name = _person_name(g, sex, style, family_name, order)
    home = region if g.chance(0.8) else g.pick(g.regions)
    return {"name": _with_title(g, name, sex) if g.chance(0.1) else name, "clean_name": name,
            "sex": sex, "birth_date": born, "birth_place": _birth_place(g, region.town, 0.6),
            "mother_name": _person_name(g, "F", "java", "", 0), "nik_region": home.kecamatan}


def _children(g, mother, style, family_name, region, count):
    kids, order = [], 0
    mother_born = mother["birth_date"]
    while len(kids) < count:
        born = _birth_date(g, mother_born.year + 18, min(mother_born.year + 42, 2023))
        sexes = [g.pick(("M", "F")) for _ in range(2 if g.chance(TWIN_BIRTH_SHARE) else 1)]
        names = _twin_names(g, sexes, style, family_name, order)
        for sex, name in zip(sexes, names, strict=True):
            kids.append({"name": name, "clean_name": name, "sex": sex, "birth_date": born,
                         "birth_place": _birth_place(g, region.town, 0.9),
                         "mother_name": mother["clean_name"], "nik_region": region.kecamatan})
        order += 1
    return kids


def _twin_names(g, sexes, style, family_name, order) -> list[str]:
    """Twins get different names; a third of them share the first name part ("AHMAD HAFIZ",
    "AHMAD MULYADI"), the hard case."""
    names = [_person_name(g, sexes[0], style, family_name, order)]
    if len(sexes) == 1:
        return names
    if style == "java" and g.chance(0.33):
        first = names[0].split()[0]
        names = [f"{first} {g.given(sexes[0])}", f"{first} {g.given(sexes[1])}"]
    else:
        names.append(_person_name(g, sexes[1], style, family_name, order))
    while names[1] == names[0] or len(set(names[1].split())) < len(names[1].split()):
        names[1] = f"{names[0].split()[0]} {g.given(sexes[1])}" if style == "java" else \
            _person_name(g, sexes[1], style, family_name, order)
    return names


def _family(g: _Generator) -> list[dict]:
    region = g.pick(g.regions)
    style = g.pick(("java", "java", "java", "java", "java", "java", "marga", "marga", "bali"))
    family_name = g.pick(FAMILY_NAMES, g.family_cdf)
    kind = g.rng.random()
    if kind < 0.15:
        members = [_adult(g, g.pick(("M", "F")), style, family_name, region)]
    else:
        head = _adult(g, "M", style, family_name, region)
        wife = _adult(g, "F", "java" if style == "marga" else style, family_name, region,
                      head["birth_date"].year - 3, min(head["birth_date"].year + 10, 2000))
        members = [wife] if kind < 0.25 else [head, wife]
        members += _children(g, wife, style, family_name, region, int(g.rng.integers(0, 5)))
        if kind > 0.95:
            members.append(_adult(g, "F", "java", "", region, 1925, 1950))
    village, kk, address = g.pick(region.villages), g.kk(region.kecamatan), g.address()
    for person in members:
        person.update(kk=kk, address=address, village_code=village)
        person["nik"] = g.nik(person.pop("nik_region"), person["birth_date"], person["sex"])
    return members


# --- Repeat registrations --------------------------------------------------------------------

def _name_variant(g: _Generator, name: str, sex: str) -> str:
    tokens = name.replace(",", " ").split()
    tokens = [t for t in tokens if t not in MALE_TITLES + FEMALE_TITLES] or tokens
    choice = g.rng.random()
    if choice < 0.2 and "MUHAMMAD" in tokens:
        tokens[tokens.index("MUHAMMAD")] = g.pick(MUHAMMAD_VARIANTS)
    elif choice < 0.35 and any(t in TOKEN_VARIANTS for t in tokens):
        i = next(i for i, t in enumerate(tokens) if t in TOKEN_VARIANTS)
        tokens[i] = g.pick(TOKEN_VARIANTS[tokens[i]])
    elif choice < 0.45 and len(tokens) > 1:
        i = int(g.rng.integers(0, len(tokens) - 1))
        tokens[i:i + 2] = [tokens[i] + tokens[i + 1]]  # "NUR HAYATI" -> "NURHAYATI"
    elif choice < 0.6:
        old, new = g.pick(OLD_SPELLING)
        tokens = [t.replace(old, new, 1) for t in tokens]
    elif choice < 0.75:
        return _with_title(g, " ".join(tokens), sex)
    elif choice < 0.85 and len(tokens) > 1:
        tokens = tokens[1:] + tokens[:1]
    elif len(tokens) > 2:
        tokens.pop(int(g.rng.integers(1, len(tokens))))
    return " ".join(tokens)


def _typo(g: _Generator, text: str) -> str:
    if len(text) < 3:
        return text
    i = int(g.rng.integers(1, len(text) - 1))
    kind = g.rng.random()
    letter = chr(int(g.rng.integers(65, 91)))
    if kind < 0.4:
        return text[:i] + letter + text[i + 1:]
    if kind < 0.65:
        return text[:i] + text[i + 1:]
    if kind < 0.85:
        return text[:i] + letter + text[i:]
    return text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]


def _date_slip(g: _Generator, born: date) -> date:
    kind = g.rng.random()
    try:
        if kind < 0.35 and born.day <= 12 and born.day != born.month:
            return date(born.year, born.day, born.month)
        if kind < 0.7:
            return born + timedelta(days=int(g.pick((-10, -1, 1, 10))))
        return born.replace(year=born.year + int(g.pick((-1, 1))))
    except ValueError:
        return born + timedelta(days=1)


def _repeat(g: _Generator, person: dict) -> dict:
    dup = dict(person)
    if g.chance(0.5):
        dup["name"] = _name_variant(g, person["clean_name"], person["sex"])
    if g.chance(0.3):
        dup["name"] = _typo(g, dup["name"])
    if g.chance(0.15):
        dup["birth_date"] = _date_slip(g, person["birth_date"])
    move = g.rng.random()
    region = g.pick(g.regions) if move < 0.35 else _region_of(g, person["village_code"])
    if move < 0.55:  # moved away, or a second KK in the same village (e.g. after marriage)
        dup.update(kk=g.kk(region.kecamatan), address=g.address(),
                   village_code=g.pick(region.villages) if move < 0.35 else person["village_code"])
    if g.chance(0.5):  # a new NIK: it still encodes the true birth date
        dup["nik"] = g.nik(region.kecamatan, person["birth_date"], person["sex"])
    _repeat_details(g, dup, person)
    return dup


def _repeat_details(g: _Generator, dup: dict, person: dict) -> None:
    if g.chance(0.1):
        dup["mother_name"] = None
    elif g.chance(0.1):
        dup["mother_name"] = _typo(g, person["mother_name"])
    if g.chance(0.3):
        town = dup["birth_place"].replace("KAB. ", "").replace("KOTA ", "")
        dup["birth_place"] = g.pick((town, f"KAB. {town}", OLD_TOWN_SPELLING.get(town, town)))
    if g.chance(0.01):
        dup["sex"] = "F" if person["sex"] == "M" else "M"


def _region_of(g: _Generator, village_code: str) -> _Region:
    return next(r for r in g.regions if village_code.startswith(r.kecamatan))


# --- Assembly -------------------------------------------------------------------------------

def generate_register(n: int, dup_rate: float = 0.02, seed: int = 7) -> SyntheticRegister:
    """About ``n`` records (residents plus repeat registrations), shuffled, with the truth."""
    g = _Generator(n, seed)
    people: list[dict] = []
    target = int(n / (1 + dup_rate * 1.1))
    while len(people) < target:
        people.extend(_family(g))
    for pid, person in enumerate(people):
        person["person_id"] = pid
    repeats = []
    for pid in g.rng.choice(len(people), size=int(len(people) * dup_rate), replace=False):
        copies = 2 if g.chance(0.1) else 1
        repeats.extend(_repeat(g, people[pid]) for _ in range(copies))
    return _assemble(g, people + repeats)


def _assemble(g: _Generator, rows: list[dict]) -> SyntheticRegister:
    frame = pd.DataFrame(rows).drop(columns=["clean_name"])
    frame["sex"] = frame["sex"].map({"M": "LAKI-LAKI", "F": "PEREMPUAN"})
    frame["birth_date"] = [d.isoformat() for d in frame["birth_date"]]
    frame = frame.iloc[g.rng.permutation(len(frame))].reset_index(drop=True)
    frame.insert(0, "record_id", np.arange(len(frame), dtype=np.int64))
    return SyntheticRegister(frame, _true_pairs(frame))


def _true_pairs(frame: pd.DataFrame) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    groups = frame.groupby("person_id")["record_id"].apply(list)
    for ids in groups[groups.map(len) > 1]:
        ids = sorted(ids)
        pairs.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1:])
    return pairs
