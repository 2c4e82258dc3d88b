"""Shapes of the printing-drive API."""

from datetime import datetime

from ninja import Field, Schema
from pydantic import ConfigDict

from ektp.printing import drive_rules


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class DriveIn(_In):
    name: str = Field(min_length=1, max_length=drive_rules.NAME_MAX)
    region_code: str = Field(min_length=2, max_length=13)
    starts_at: datetime
    ends_at: datetime
    stall_minutes: int = Field(30, ge=drive_rules.MIN_STALL_MINUTES,
                               le=drive_rules.MAX_STALL_MINUTES)


class DriveOut(Schema):
    id: int
    name: str
    region_code: str
    starts_at: datetime
    ends_at: datetime
    stall_minutes: int

    @staticmethod
    def resolve_region_code(obj) -> str:
        return obj.region_id


class PointIn(_In):
    office_id: int
    target: int = Field(ge=1, le=drive_rules.MAX_TARGET)


class PointOut(Schema):
    id: int
    drive_id: int
    office_id: int
    target: int
    stock_request_id: int | None


class RequestIn(_In):
    letter_number: str = Field("", max_length=100)


class RequestOut(Schema):
    id: int
    office_id: int
    quantity: int
    justification: str


class SupplyIn(_In):
    quantity: int = Field(ge=1, le=drive_rules.MAX_TARGET)
    handover_ref: str = Field(min_length=1, max_length=100, description="BA serah terima")
    idempotency_key: str = Field(min_length=1, max_length=80)
    from_office_id: int | None = Field(None, description="a transfer from this office; "
                                                         "else an allocation from the centre")
    serial_prefix: str | None = Field(None, max_length=25)
    first_serial: int | None = Field(None, ge=0)


class SupplyOut(Schema):
    id: int
    point_id: int
    movement_id: int
    quantity: int


class DrivePointProgressOut(Schema):
    point_id: int
    office_id: int
    office_code: str
    office_name: str
    target: int
    printed: int
    spoiled: int
    done_share: float | None
    last_print_at: datetime | None
    waiting: int
    blanks_in_stock: int
    requested: int | None
    received_on_request: int
    sent: int
    shortfall: int
    stalled: bool


class DriveProgressOut(Schema):
    drive: DriveOut
    phase: str = Field(description="planned, running or ended")
    at: datetime
    target: int
    printed: int
    done_share: float | None
    shortfall: int
    stalled_points: int
    points: list[DrivePointProgressOut]
