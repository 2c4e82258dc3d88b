"""``ektp demo``: a synthetic Kota Kupang on its real 6 kecamatan and 51 kelurahan.

Families with Indonesian names, NIKs issued from each birth date, an age mix that makes about
three in four residents wajib KTP, recordings with synthetic templates for most of them, and a
few percent planted duplicates: the same person recorded again under another NIK, with a typo
in the name. Every write goes through the services, as an office's would.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from faker import Faker

from ektp.demo.images import placeholder_photo, placeholder_signature
from ektp.demo.synthetic import SyntheticBiometrics, SyntheticPerson
from ektp.enrollment.models import Enrollment
from ektp.enrollment.services import Capture, enrollment_record
from ektp.regions.models import Region
from ektp.residents import reference
from ektp.residents.models import Resident
from ektp.residents.rules import age_on, is_wajib_ktp
from ektp.residents.services import family_create, resident_register

KUPANG = "53.71"
RELIGION_WEIGHTS = {2: 0.62, 3: 0.20, 1: 0.15, 4: 0.02, 5: 0.01}  # Kristen-majority city
ADULT_JOBS = (2, 5, 8, 11, 13, 14, 15, 18, 19, 88, 89)
BIRTH_PLACES = ("KUPANG",) * 6 + ("SOE", "ATAMBUA", "ENDE", "MAUMERE", "RUTENG", "WAINGAPU")
BATCH = 200  # families per transaction


@dataclass
class Planted:
    original: int  # resident pk
    duplicate: int


@dataclass
class BuildState:
    residents: list[Resident] = field(default_factory=list)
    people: dict[int, SyntheticPerson] = field(default_factory=dict)
    planted: list[Planted] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)


class DemoBuilder:
    def __init__(self, *, residents: int, seed: int = 2025, duplicate_rate: float = 0.03,
                 recording_rate: float = 0.9, actor=None,
                 progress: Callable[[int], None] | None = None):
        self.target, self.actor, self.progress = residents, actor, progress
        self.duplicate_rate, self.recording_rate = duplicate_rate, recording_rate
        self.rng = random.Random(seed)
        self.fake = Faker("id_ID")
        self.fake.seed_instance(seed)
        self.bio = SyntheticBiometrics(seed)
        self.today = timezone.localdate()
        self.villages = list(Region.objects.filter(code__startswith=KUPANG + ".", level=4))
        self.state = BuildState()

    # --- residents ---------------------------------------------------------------------------

    def build_register(self) -> None:
        while len(self.state.residents) < self.target:
            with transaction.atomic():
                for _ in range(BATCH):
                    if len(self.state.residents) >= self.target:
                        break
                    self._family()

    def _birth_date(self, age: int) -> date:
        return self.today - timedelta(days=age * 365 + self.rng.randrange(365))

    def _name(self, sex: int, surname: str | None = None) -> str:
        if sex == reference.LAKI_LAKI:
            first, last = self.fake.first_name_male(), self.fake.last_name_male()
        else:
            first, last = self.fake.first_name_female(), self.fake.last_name_female()
        return f"{first} {surname or last}"

    def _family(self) -> None:
        village = self.rng.choice(self.villages)
        family = family_create(actor=self.actor, village_code=village.code,
                               address=f"JL. {self.fake.street_name()}",
                               rt=str(self.rng.randint(1, 20)), rw=str(self.rng.randint(1, 8)),
                               recorded_on=self.today - timedelta(days=self.rng.randrange(3650)))
        head_age = self.rng.randint(21, 78)
        head_sex = reference.LAKI_LAKI if self.rng.random() < 0.85 else reference.PEREMPUAN
        head = self._member(family, head_sex, head_age, 1, reference.KAWIN)
        surname = head.name.split()[-1]
        if head_sex == reference.LAKI_LAKI and self.rng.random() < 0.9:
            age = max(18, head_age + self.rng.randint(-8, 3))
            self._member(family, reference.PEREMPUAN, age, 3, reference.KAWIN)
        for _ in range(self.rng.choice((0, 0, 1, 1, 1, 2, 3))):
            age = self.rng.randint(0, max(0, min(head_age - 20, 30)))
            sex = self.rng.choice((reference.LAKI_LAKI, reference.PEREMPUAN))
            self._member(family, sex, age, 4, reference.BELUM_KAWIN, surname)

    def _member(self, family, sex, age, relationship, marital, surname=None) -> Resident:
        birth_date = self._birth_date(age)
        occupation = 1 if age < 6 else 3 if age < 19 else self.rng.choice(ADULT_JOBS)
        religions = list(RELIGION_WEIGHTS)
        resident = resident_register(
            actor=self.actor, family_id=family.pk, name=self._name(sex, surname),
            birth_date=birth_date, sex=sex, birth_place=self.rng.choice(BIRTH_PLACES),
            religion=self.rng.choices(religions, weights=list(RELIGION_WEIGHTS.values()))[0],
            marital_status=marital if age >= 17 else reference.BELUM_KAWIN,
            blood_type=self.rng.randint(1, 13), occupation=occupation,
            relationship=relationship, mother_name=self._name(reference.PEREMPUAN),
        )
        self.state.residents.append(resident)
        if self.progress:
            self.progress(1)
        return resident

    # --- recordings ----------------------------------------------------------------------------

    def record_enrollments(self) -> None:
        eligible = [r for r in self.state.residents if self._wajib(r)]
        chosen = [r for r in eligible if self.rng.random() < self.recording_rate]
        for start in range(0, len(chosen), BATCH):
            with transaction.atomic():
                for resident in chosen[start:start + BATCH]:
                    self.record(resident, days_ago=self.rng.randint(20, 90))
                    if self.progress:
                        self.progress(1)

    def record(self, resident: Resident, *, days_ago: int, station: str = "",
               sequence: int = 0) -> Enrollment:
        """Record a new synthetic person as ``resident`` (at the resident's kecamatan
        recording point unless a station and its next sequence number are given)."""
        person = self.bio.person()
        self.state.people[resident.pk] = person
        return self._record(resident, person, days_ago, station=station, sequence=sequence)

    def _wajib(self, resident: Resident) -> bool:
        return is_wajib_ktp(resident.birth_date, resident.marital_status, self.today)

    def _record(self, resident: Resident, person: SyntheticPerson, days_ago: int, *,
                station: str = "", sequence: int = 0) -> Enrollment:
        if not station:
            station = f"REK-{resident.nik[:6]}"
            sequence = self.state.sequences.get(station, 0) + 1
            self.state.sequences[station] = sequence
        captured_at = timezone.now() - timedelta(days=days_ago,
                                                 minutes=self.rng.randrange(600))
        initials = "".join(part[0] for part in resident.name.split())
        return enrollment_record(actor=self.actor, enqueue_dedup=False, capture=Capture(
            resident_id=resident.pk, station_code=station, sequence=sequence,
            captured_at=captured_at, biodata_confirmed=True,
            photo=placeholder_photo(initials, resident.birth_date.year),
            signature=placeholder_signature(resident.pk),
            fingerprints=self.bio.capture_fingers(person),
            face_template=self.bio.capture_face(person)))

    # --- planted duplicates ------------------------------------------------------------------

    def plant_duplicates(self) -> None:
        recorded = sorted(self.state.people)
        count = max(1, round(len(recorded) * self.duplicate_rate)) if recorded else 0
        with transaction.atomic():
            for original_pk in self.rng.sample(recorded, count):
                original = Resident.objects.get(pk=original_pk)
                duplicate = self._copy_with_typo(original)
                self._record(duplicate, self.state.people[original_pk], days_ago=5)
                self.state.planted.append(Planted(original_pk, duplicate.pk))

    def _copy_with_typo(self, original: Resident) -> Resident:
        """The same person registered again elsewhere (often after a move), under a new NIK."""
        village = self.rng.choice(self.villages)
        family = family_create(actor=self.actor, village_code=village.code,
                               address=f"JL. {self.fake.street_name()}", rt="1", rw="1")
        return resident_register(
            actor=self.actor, family_id=family.pk, name=typo(original.name, self.rng),
            birth_date=original.birth_date, sex=original.sex, birth_place=original.birth_place,
            religion=original.religion, marital_status=original.marital_status,
            blood_type=original.blood_type, occupation=original.occupation, relationship=1,
            mother_name=original.mother_name)


def typo(name: str, rng: random.Random) -> str:
    """Drop, double or swap one letter inside a word: the slips seen in re-registrations."""
    words = name.split()
    index = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[index]
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "swap" and word[at - 1] == word[at]:
        kind = "drop"  # swapping two equal letters would change nothing
    if kind == "drop":
        word = word[:at] + word[at + 1:]
    elif kind == "double":
        word = word[:at] + word[at] + word[at:]
    else:
        word = word[:at - 1] + word[at] + word[at - 1] + word[at + 1:]
    words[index] = word
    return " ".join(words)


def adult_share(residents: list[Resident], today: date) -> float:
    adults = sum(age_on(r.birth_date, today) >= 17 for r in residents)
    return adults / max(1, len(residents))
