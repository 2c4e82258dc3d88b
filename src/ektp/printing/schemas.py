"""Shapes of the printing API. NIKs leave the server masked (UU 27/2022); shapes and value
lists are checked here (422 ``validation_error``), printing rules come back from the services
as 4xx with their code."""

from datetime import datetime
from typing import Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import ConfigDict

from ektp.printing.services import MAX_BATCH, SPOIL_REASONS
from ektp.residents.rules import mask_nik

SpoilReason = Literal[tuple(sorted(SPOIL_REASONS))]


class ErrorOut(Schema):
    """Every refusal: a message and a stable machine-readable code."""

    detail: str | list | dict
    code: str


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class QueueItemOut(Schema):
    application_id: int
    nik: str = Field(description="masked")
    name: str
    kind: str = Field(description="new (pemula) or a replacement kind")
    applied_at: datetime
    waiting_days: int

    @staticmethod
    def resolve_application_id(obj) -> int:
        return obj.pk

    @staticmethod
    def resolve_nik(obj) -> str:
        return mask_nik(obj.resident.nik)

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_applied_at(obj) -> datetime:
        return obj.created_at

    @staticmethod
    def resolve_waiting_days(obj) -> int:
        return (timezone.now() - obj.created_at).days


class PrinterOut(Schema):
    id: int
    serial_number: str
    model_name: str
    status: str


class StockOut(Schema):
    blanks: int = Field(description="blank cards")
    ribbon: int = Field(description="card prints left on the ribbon")
    film: int = Field(description="card prints left on the film")


class QueueOut(Schema):
    office_id: int
    office_code: str
    waiting: int = Field(description="print-ready records in the office's area")
    blanks_short: bool = Field(description="fewer blanks than records: pemula go first")
    stock: StockOut
    printers: list[PrinterOut] = Field(description="card printers that can print now")
    items: list[QueueItemOut]


class JobIn(_In):
    office_id: int
    application_id: int
    serial: str | None = Field(None, min_length=1, max_length=32,
                               description="the blank scanned; else the lowest in stock")
    printer_id: int


class JobOut(Schema):
    id: int
    application_id: int
    office_id: int
    printer_id: int | None
    blank_serial: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    spoil_reason: str
    batch: str


class SpoilIn(_In):
    reason: SpoilReason


class BatchIn(_In):
    office_id: int
    limit: int = Field(ge=1, le=MAX_BATCH)
    printer_id: int


class BatchOut(Schema):
    batch: str
    printed: int
    jobs: list[JobOut]
    stopped: str | None = Field(description="the code that stopped the batch early, if any")
    hint: str
    pdf_url: str | None


class HandoverIn(_In):
    application_id: int
    fingerprints: dict[int, list[float]] = Field(
        min_length=1, max_length=10,
        description="templates keyed by finger position (1-10), e.g. the two index fingers")


class HandoverOut(Schema):
    application_id: int
    matched: bool
    score: float
    status: str
