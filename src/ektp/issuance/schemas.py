"""Shapes of the applications API. NIKs leave the server masked (UU 27/2022)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from ektp.issuance.choices import Status
from ektp.residents.rules import mask_nik


class ErrorOut(Schema):
    """Every refusal: an English message and a stable machine-readable code."""

    detail: str | list | dict
    code: str


class ReplacementIn(Schema):
    resident_id: int
    kind: Literal["lost", "damaged", "data_change", "move"]
    police_letter_ref: str = Field("", max_length=100)
    document_ref: str = Field("", max_length=100)
    # A damaged card is handed in where the replacement is asked for.
    returned_card_serial: str = Field("", max_length=40)
    office_id: int | None = None


class TransitionIn(Schema):
    to_status: Status
    reason: str = Field(..., max_length=300)
    # The status the supervisor saw; if the application has moved since, 409 status_changed.
    from_status: Status | None = None


class StatusFilter(Schema):
    status: Status | None = None


class ApplicationOut(Schema):
    id: int
    kind: str
    status: str
    duplicate_kind: str
    resident_id: int
    nik: str
    name: str
    village_code: str
    enrollment_id: str | None
    police_letter_ref: str
    document_ref: str
    site: str
    created_at: datetime
    status_changed_at: datetime

    @staticmethod
    def resolve_nik(obj) -> str:
        return mask_nik(obj.resident.nik)

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_village_code(obj) -> str:
        return obj.resident.family.village_id

    @staticmethod
    def resolve_enrollment_id(obj) -> str | None:
        return obj.enrollment.enrollment_id if obj.enrollment_id else None


class HistoryOut(Schema):
    from_status: str
    to_status: str
    at: datetime
    actor: str | None
    site: str
    reason: str

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.get_username() if obj.actor_id else None


class ApplicationDetailOut(ApplicationOut):
    history: list[HistoryOut]

    @staticmethod
    def resolve_history(obj) -> list:
        return list(obj.history.all())
