"""Test data for the register, and the row counts that show a refusal wrote nothing.

Rows are made directly (no services) so a test states only what it needs; the region codes
are real (the conftest loads the full list)."""

from datetime import date

import factory

from ektp.accounts import rules as roles
from ektp.accounts.models import User
from ektp.audit.models import AuditEvent
from ektp.issuance.models import Application
from ektp.residents import reference
from ektp.residents.models import Family, Resident, ResidentEvent

NAMOSAIN = "53.71.01.1001"  # kelurahan Namosain, kecamatan Alak, Kota Kupang
NUNBAUN_SABU = "53.71.01.1002"  # kelurahan Nunbaun Sabu, also in Alak
OEPURA = "53.71.02.1001"  # kelurahan Oepura, kecamatan Maulafa, Kota Kupang
DEPOK = "32.76.01.1006"  # kelurahan Depok, kecamatan Pancoran Mas, Kota Depok
KOTA_KUPANG = "53.71"
KOTA_DEPOK = "32.76"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"operator{n}")
    role = roles.SUPERVISOR
    region_id = KOTA_KUPANG
    password = factory.django.Password("rahasia-kupang-2026")


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    # Issued in Alak on 1 January 2020, serials from 0001 up.
    kk_number = factory.Sequence(lambda n: f"537101010120{n % 9999 + 1:04d}")
    village_id = NAMOSAIN
    address = "JL. YOS SUDARSO"
    rt = "001"
    rw = "002"


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    # A man born 1 January 1990 in Alak; serials from 0001 up.
    nik = factory.Sequence(lambda n: f"537101010190{n % 9999 + 1:04d}")
    family = factory.SubFactory(FamilyFactory)
    relationship = reference.KEPALA_KELUARGA
    name = factory.Sequence(lambda n: f"YOHANES NDOEN {chr(65 + n % 26)}")
    birth_place = "KUPANG"
    birth_date = date(1990, 1, 1)
    sex = reference.LAKI_LAKI
    religion = 2  # KRISTEN
    marital_status = reference.KAWIN
    occupation = 9  # PETANI/PEKEBUN


def resident_payload(family_id: int, **overrides) -> dict:
    """A valid POST /residents body (and service keywords) for a woman born 7 August 1995."""
    return {
        "family_id": family_id,
        "name": "MARIA GORETI LAKAPU",
        "birth_place": "KUPANG",
        "birth_date": "1995-08-07",
        "sex": reference.PEREMPUAN,
        "religion": 3,
        "marital_status": reference.BELUM_KAWIN,
        "blood_type": 4,
        "occupation": 3,
        "relationship": 4,
        **overrides,
    }


def row_counts() -> dict[str, int]:
    """Rows in every table a residents write can touch: equal before and after a refusal."""
    models = (Family, Resident, ResidentEvent, AuditEvent, Application)
    return {model.__name__: model.objects.count() for model in models}
