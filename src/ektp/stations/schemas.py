from datetime import datetime

from ninja import Field, Schema


class RegisterIn(Schema):
    code: str = Field(..., max_length=24)
    office_code: str = Field(..., max_length=24)
    public_key: str = Field(..., max_length=64)


class RegisterOut(Schema):
    station_id: int
    code: str
    office_code: str
    central_sign_key: str
    central_box_key: str
    central_key_id: str


class GapOut(Schema):
    first: int
    last: int


class StationOut(Schema):
    id: int
    code: str
    office_code: str
    active: bool
    registered_at: datetime
    last_contact_at: datetime | None
    queue_length: int
    oldest_unsynced_at: datetime | None
    clock_offset_seconds: float
    received: int
    highest_sequence: int
    gaps: list[GapOut]
    missing: int
    rejects: int
    conflicts: int
    leases: int


class RejectOut(Schema):
    id: int
    station_code: str
    packet_id: str
    code: str
    reason: str
    via: str
    received_at: datetime


class ConflictOut(Schema):
    id: int
    station_code: str
    packet_id: str
    code: str
    application_ref: str
    central_status: str
    detail: str
    at: datetime

    @staticmethod
    def resolve_packet_id(obj) -> str:
        return str(obj.packet_id)
