"""Shapes of the fieldwork API. NIKs leave the server masked (UU 27/2022); shapes and value
lists are checked here (422 ``validation_error``), the rules come back from the services as
4xx with their code."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from ektp.fieldwork import rules
from ektp.residents.rules import mask_nik

OutcomeIn = Literal[rules.OUTCOMES]
SourceIn = Literal[tuple(sorted(rules.SOURCES))]


class ErrorOut(Schema):
    detail: str | list | dict
    code: str


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class CampaignIn(_In):
    name: str = Field(min_length=1, max_length=120)
    region_code: str = Field(min_length=2, max_length=13,
                             description="a kabupaten/kota, kecamatan or desa/kelurahan")
    source: SourceIn
    months_ahead: int | None = Field(None, ge=1, le=rules.MAX_MONTHS_AHEAD,
                                     description="first_time only: turning 17 within")


class CampaignOut(Schema):
    id: int
    name: str
    region_code: str
    source: str
    months_ahead: int | None
    as_of: date
    created_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_region_code(obj) -> str:
        return obj.region_id


class CampaignVillageOut(Schema):
    village_code: str
    village_name: str
    total: int
    visited: int
    visited_share: float | None
    present: int
    moved: int
    died: int
    unknown: int

    @staticmethod
    def resolve_village_code(obj) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj) -> str:
        return obj.village.name


class CampaignProgressOut(Schema):
    campaign: CampaignOut
    total: int
    visited: int
    visited_share: float | None
    villages: list[CampaignVillageOut]


class EntryOut(Schema):
    id: int
    nik: str = Field(description="masked")
    name: str
    village_code: str
    outcome: str
    visits_count: int
    visited_at: datetime | None

    @staticmethod
    def resolve_nik(obj) -> str:
        return mask_nik(obj.resident.nik)

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_village_code(obj) -> str:
        return obj.village_id


class VisitIn(_In):
    entry_id: int
    client_id: str = Field(min_length=8, max_length=64,
                           description="made by the client (a UUID); a retry sends it again")
    outcome: OutcomeIn
    visited_on: date
    invited_for: date | None = None
    died_on: date | None = None
    document_ref: str = Field("", max_length=100, description="SKPWNI or akta kematian")
    to_village_code: str = Field("", max_length=13)
    note: str = Field("", max_length=300)


class VisitOut(Schema):
    id: int
    entry_id: int
    client_id: str
    outcome: str
    visited_on: date
    invited_for: date | None
    recorded_at: datetime
    resident_event_id: int | None
    created: bool = Field(description="false: a retry of a visit already stored")
