"""Shapes of the enrollment API. Templates and images never leave the server."""

from datetime import datetime

from ninja import Field, Schema
from pydantic import Json

MAX_SEQUENCE = 2**63 - 1


class EnrollmentForm(Schema):
    """The multipart form a station sends with the photo and signature files."""

    resident_id: int
    station_code: str = Field(..., max_length=24)
    # The station's own counter; bounded by the database column (a signed 64-bit integer).
    sequence: int = Field(..., le=MAX_SEQUENCE)
    # ISO 8601 with its zone; a naive time is refused by the service (captured_at_naive).
    captured_at: datetime
    biodata_confirmed: bool
    # JSON text {"1": [128 floats], "2": [...]}: finger position (1-10) -> device template.
    # Positions and vectors are checked by capture_quality, with their own error codes.
    fingerprints: Json[dict[int, list[float]]]


class ApplicationRef(Schema):
    id: int
    status: str


class EnrollmentCreatedOut(Schema):
    enrollment_id: str
    application: ApplicationRef


class TemplateRef(Schema):
    modality: str
    position: int


class EnrollmentOut(Schema):
    """Metadata of a recording: what was captured, never the captures themselves."""

    enrollment_id: str
    resident_id: int
    station_code: str
    # The station's own counter; bounded by the database column (a signed 64-bit integer).
    sequence: int = Field(..., le=MAX_SEQUENCE)
    captured_at: datetime
    received_at: datetime
    photo_width: int
    photo_height: int
    finger_count: int
    templates: list[TemplateRef]
    applications: list[ApplicationRef]

    @staticmethod
    def resolve_templates(obj) -> list:
        return list(obj.templates.order_by("modality", "position").values("modality", "position"))

    @staticmethod
    def resolve_applications(obj) -> list:
        return list(obj.applications.order_by("pk").values("id", "status"))
