"""Request and response shapes of the supplies API. Shapes and value lists are checked here
(422 ``validation_error``); stock rules come back from the services as 4xx with their code."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from ektp.supplies.models import InvalidCard

ItemName = Literal["blank", "ribbon", "film"]
EarmarkName = Literal["general", "first", "replacement"]
ReturnReason = Literal[tuple(r for r in InvalidCard.Reason.values if r.startswith("returned_"))]


class ErrorOut(Schema):
    detail: str
    code: str


class StockLineOut(Schema):
    item: ItemName
    label: str
    unit: str
    quantity: int
    rolls: float | None
    by_earmark: dict[str, int]
    daily_use: float
    days_of_cover: float | None
    stockout_date: date | None
    low: bool


class MovementOut(Schema):
    id: int
    office_id: int
    item: str
    earmark: str
    kind: str
    quantity: int
    at: datetime
    reference: str
    counterpart_id: int | None
    note: str


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class AllocationIn(_In):
    office_id: int
    item: ItemName
    quantity: int = Field(gt=0, le=1_000_000, description="cards, or rolls of ribbon/film")
    handover_ref: str = Field(min_length=1, max_length=100, description="BA serah terima")
    earmark: EarmarkName = "general"
    serial_prefix: str | None = Field(None, max_length=24, examples=["KTP25-"])
    first_serial: int | None = Field(None, ge=0)
    request_id: int | None = None
    idempotency_key: str | None = Field(None, min_length=1, max_length=80)


class RequestIn(_In):
    office_id: int
    item: ItemName
    quantity: int = Field(gt=0, le=10_000_000, description="cards, or rolls of ribbon/film")
    justification: str = Field(min_length=1, max_length=4000)
    letter_number: str = Field("", max_length=100)


class RequestOut(Schema):
    id: int
    office_id: int
    item: str
    quantity: int
    justification: str
    letter_number: str
    sent_at: datetime
    received_quantity: int


class TransferIn(_In):
    from_office_id: int
    to_office_id: int
    item: ItemName
    quantity: int = Field(gt=0, le=1_000_000, description="cards, or rolls of ribbon/film")
    reference: str = Field(min_length=1, max_length=100)
    earmark: EarmarkName = "general"
    idempotency_key: str | None = Field(None, min_length=1, max_length=80)


class OldCardIn(_In):
    office_id: int
    card_serial: str = Field(min_length=1, max_length=40)
    reason: ReturnReason
    nik: str = Field(max_length=32, description="16 digits; spaces, dots, dashes allowed")


class InvalidCardOut(Schema):
    id: int
    serial: str
    office_id: int
    reason: str
    booked_at: datetime
    destruction_id: int | None


class WitnessIn(_In):
    name: str = Field(min_length=1, max_length=120)
    institution: str = Field("", max_length=120, examples=["Satpol PP", "Polres", "Inspektorat"])


class DestructionIn(_In):
    office_id: int
    ba_number: str = Field(min_length=1, max_length=100)
    witnesses: list[WitnessIn] = Field(max_length=50)
    serials: list[str] = Field(max_length=20_000)


class DestructionOut(Schema):
    id: int
    office_id: int
    ba_number: str
    at: datetime
    witnesses: list[dict]
    cards: int

    @staticmethod
    def resolve_cards(obj) -> int:
        return obj.cards.count()
