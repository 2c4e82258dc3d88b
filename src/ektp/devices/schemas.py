"""Shapes of the devices API. Shapes and value lists are checked here (422
``validation_error``); state rules come back from the services as 4xx with their code."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from ektp.devices import rules, selectors


class ErrorOut(Schema):
    """Every refusal: a message and a stable machine-readable code."""

    detail: str | list | dict
    code: str


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class OfficeOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    region_code: str
    prints_cards: bool
    records_biometrics: bool
    printers: int = Field(description="card printers not retired")
    printers_working: int
    printers_degraded: int
    cards_per_day: int = Field(description="what the working and degraded printers print a day")

    @staticmethod
    def resolve_region_code(obj) -> str:
        return obj.region_id

    @staticmethod
    def resolve_cards_per_day(obj) -> int:
        return selectors.cards_per_day(obj)


class BreakdownOut(Schema):
    id: int
    device_id: int
    reported_at: datetime
    description: str
    degraded_only: bool
    repair_started_at: datetime | None
    repaired_at: datetime | None
    repair_note: str


class DeviceOut(Schema):
    id: int
    office_id: int
    kind: str
    serial_number: str
    model_name: str
    status: str
    status_changed_at: datetime


class DeviceDetailOut(DeviceOut):
    open_breakdown: BreakdownOut | None

    @staticmethod
    def resolve_open_breakdown(obj):
        opened = getattr(obj, "open_breakdowns", None)
        if opened is None:  # not prefetched (a single device): one query
            opened = list(obj.breakdowns.filter(repaired_at=None))
        return opened[0] if opened else None


class DeviceIn(_In):
    office_id: int
    kind: Literal["recording_kit", "card_printer"]
    serial_number: str = Field(min_length=1, max_length=40)
    model_name: str = Field("", max_length=60)


class BreakdownIn(_In):
    description: str = Field(min_length=1, max_length=rules.MAX_TEXT)
    # degraded: it still works at reduced output; broken: it has stopped.
    state: Literal["degraded", "broken"] = "broken"


class RepairCloseIn(_In):
    note: str = Field("", max_length=rules.MAX_TEXT)


class DistrictOut(Schema):
    code: str
    name: str
