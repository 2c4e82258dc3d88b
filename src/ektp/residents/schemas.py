"""Request and response shapes of the residents API.

Structure and value lists are checked here (422 ``validation_error``, each error with a stable
``type``); identity rules (NIK, KK, names, dates) stay in rules.py and come back from the
services as 400 with their own code, so the API, the CLI and the forms give the same answer.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from ektp.residents import reference, rules
from ektp.residents.models import Resident

# RT/RW as typed on the form: 1 to 3 digits (the service pads them to 3).
Neighbourhood = Annotated[str, Field(pattern=r"^[0-9]{1,3}$")]
# Identity numbers may arrive with spaces, dots or dashes; rules.py strips them.
IdentityNumber = Annotated[str, Field(max_length=32)]


def _siak_code(choices: reference.Choices, field: str):
    """An int restricted to one SIAK value list; a code outside it is a 422 whose error type
    is ``reference_code_unknown``."""
    codes = frozenset(code for code, _label in choices)

    def check(value: int) -> int:
        if value not in codes:
            raise PydanticCustomError(
                "reference_code_unknown", "{value} is not a SIAK code for {field}",
                {"value": value, "field": field},
            )
        return value

    return Annotated[int, AfterValidator(check), Field(json_schema_extra={"enum": sorted(codes)})]


Sex = _siak_code(reference.JENIS_KELAMIN, "sex")
Religion = _siak_code(reference.AGAMA, "religion")
MaritalStatus = _siak_code(reference.STATUS_PERKAWINAN, "marital_status")
BloodType = _siak_code(reference.GOLONGAN_DARAH, "blood_type")
Occupation = _siak_code(reference.PEKERJAAN, "occupation")
Relationship = _siak_code(reference.SHDK, "relationship")
Citizenship = Literal["WNI", "WNA"]


class ErrorOut(Schema):
    detail: str
    code: str


class FamilyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(max_length=20, examples=["53.71.01.1001"])
    address: str = Field(min_length=1, max_length=120)
    rt: Neighbourhood
    rw: Neighbourhood
    kk_number: IdentityNumber | None = None


class FamilyOut(Schema):
    id: int
    kk_number: str
    village_code: str
    address: str
    rt: str
    rw: str

    @staticmethod
    def resolve_village_code(obj) -> str:
        return obj.village_id


class ResidentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    family_id: int
    # Not capped at 60 here: the name rule (Permendagri 73/2022) answers with its own code.
    name: str = Field(max_length=255)
    birth_place: str = Field(min_length=1, max_length=60)
    birth_date: date
    sex: Sex
    religion: Religion
    marital_status: MaritalStatus
    blood_type: BloodType = reference.GOLONGAN_DARAH_TIDAK_TAHU
    occupation: Occupation
    relationship: Relationship
    nik: IdentityNumber | None = None
    citizenship: Citizenship = "WNI"
    nationality: str = Field("", max_length=60)
    kitap_expiry: date | None = None
    mother_name: str = Field("", max_length=255)
    father_name: str = Field("", max_length=255)


class ResidentListOut(Schema):
    """One row of a list: the NIK masked (UU 27/2022); the full record is a separate,
    audited read."""

    id: int
    nik_masked: str
    name: str
    sex: int
    birth_date: date
    status: str
    family_id: int
    village_code: str

    @staticmethod
    def resolve_nik_masked(obj: Resident) -> str:
        return rules.mask_nik(obj.nik)


class NikWarningOut(Schema):
    code: str
    message: str


class ResidentOut(Schema):
    id: int
    nik: str
    nik_warnings: list[NikWarningOut]
    family_id: int
    kk_number: str
    village_code: str
    village_name: str
    address: str
    rt: str
    rw: str
    relationship: int
    name: str
    birth_place: str
    birth_date: date
    sex: int
    religion: int
    marital_status: int
    blood_type: int
    occupation: int
    citizenship: str
    nationality: str
    kitap_expiry: date | None
    mother_name: str
    father_name: str
    status: str
    died_on: date | None
    wajib_ktp: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_kk_number(obj: Resident) -> str:
        return obj.family.kk_number

    @staticmethod
    def resolve_village_code(obj: Resident) -> str:
        return obj.family.village_id

    @staticmethod
    def resolve_village_name(obj: Resident) -> str:
        return obj.family.village.name

    @staticmethod
    def resolve_address(obj: Resident) -> str:
        return obj.family.address

    @staticmethod
    def resolve_rt(obj: Resident) -> str:
        return obj.family.rt

    @staticmethod
    def resolve_rw(obj: Resident) -> str:
        return obj.family.rw

    @staticmethod
    def resolve_wajib_ktp(obj: Resident) -> bool:
        return resident_is_wajib_ktp(obj, timezone.localdate())


def resident_is_wajib_ktp(resident: Resident, today: date) -> bool:
    """UU 24/2013 Pasal 63(1) on today's date; the dead owe no card, and a WNA only while the
    KITAP runs."""
    if resident.status == Resident.Status.DECEASED:
        return False
    has_kitap = resident.kitap_expiry is not None and resident.kitap_expiry >= today
    return rules.is_wajib_ktp(resident.birth_date, resident.marital_status, today,
                              resident.citizenship, has_kitap)


class ResidentEventOut(Schema):
    id: int
    kind: str
    at: datetime
    actor_id: int | None
    site: str
    changes: dict
    document_type: str
    document_ref: str


class MoveIn(Schema):
    """Pindah datang: into an existing KK (``to_kk_number``) or a new one at ``to_village_code``."""

    model_config = ConfigDict(extra="forbid")

    document_ref: str = Field(max_length=100, description="SKPWNI number")
    to_kk_number: IdentityNumber | None = None
    to_village_code: str | None = Field(None, max_length=20)
    address: str = Field("", max_length=120)
    rt: Neighbourhood = "1"
    rw: Neighbourhood = "1"

    @model_validator(mode="after")
    def one_destination(self):
        if bool(self.to_kk_number) == bool(self.to_village_code):
            raise PydanticCustomError(
                "destination_required", "Give either to_kk_number or to_village_code")
        if self.to_village_code and not self.address.strip():
            raise PydanticCustomError("address_required", "A new KK needs its address")
        return self


class DeathIn(Schema):
    model_config = ConfigDict(extra="forbid")

    died_on: date
    document_ref: str = Field(max_length=100, description="akta kematian number")


# Elements that may be cleared with an explicit null; every other element needs a value.
NULLABLE_CHANGES = frozenset({"kitap_expiry"})


class ResidentChanges(Schema):
    """The elements to change; only the ones sent are changed. ``nik`` is accepted so the
    service can refuse it with ``nik_immutable`` rather than a generic 422."""

    model_config = ConfigDict(extra="forbid")

    nik: str | None = None
    name: str | None = Field(None, max_length=255)
    birth_place: str | None = Field(None, min_length=1, max_length=60)
    birth_date: date | None = None
    blood_type: BloodType | None = None
    sex: Sex | None = None
    religion: Religion | None = None
    marital_status: MaritalStatus | None = None
    occupation: Occupation | None = None
    citizenship: Citizenship | None = None
    nationality: str | None = Field(None, max_length=60)
    kitap_expiry: date | None = None
    mother_name: str | None = Field(None, max_length=255)
    father_name: str | None = Field(None, max_length=255)

    @model_validator(mode="after")
    def no_null_values(self):
        nulls = sorted(f for f in self.model_fields_set - NULLABLE_CHANGES
                       if getattr(self, f) is None)
        if nulls:
            raise PydanticCustomError("null_not_allowed", "{fields} cannot be null",
                                      {"fields": ", ".join(nulls)})
        return self

    def sent(self) -> dict:
        return self.model_dump(exclude_unset=True)


class ChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    changes: ResidentChanges
    document_type: str = Field(max_length=40, examples=["akta_lahir", "buku_nikah"])
    document_ref: str = Field(max_length=100)
