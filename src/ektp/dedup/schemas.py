"""Shapes of the adjudication API: a doubtful recording and the records it resembles."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from ektp.residents.rules import mask_nik


class PersonOut(Schema):
    """Who a recording belongs to, as an adjudicator needs to compare them (NIK masked)."""

    resident_id: int
    nik: str
    name: str
    birth_date: date
    sex: int
    village_code: str

    @staticmethod
    def from_resident(resident) -> "PersonOut":
        return PersonOut(
            resident_id=resident.pk, nik=mask_nik(resident.nik), name=resident.name,
            birth_date=resident.birth_date, sex=resident.sex,
            village_code=resident.family.village_id,
        )


class CandidateOut(Schema):
    enrollment_id: str
    person: PersonOut
    kind: str
    face_distance: float | None  # L2 between face embeddings: lower is closer
    finger_score: float | None  # mean cosine over shared fingers: higher is closer
    demographic_match: bool
    # Calibrated log-likelihood ratios: > 0 speaks for one person; fused = their sum.
    face_llr: float | None
    finger_llr: float | None
    demographic_llr: float | None
    fused_llr: float | None
    outcome: str

    @staticmethod
    def resolve_enrollment_id(obj) -> str:
        return obj.matched_enrollment.enrollment_id

    @staticmethod
    def resolve_person(obj) -> PersonOut:
        return PersonOut.from_resident(obj.matched_enrollment.resident)


class AdjudicationOut(Schema):
    application_id: int
    kind: str
    status: str
    status_changed_at: datetime
    enrollment_id: str | None
    person: PersonOut
    candidates: list[CandidateOut]

    @staticmethod
    def resolve_application_id(obj) -> int:
        return obj.pk

    @staticmethod
    def resolve_enrollment_id(obj) -> str | None:
        return obj.enrollment.enrollment_id if obj.enrollment_id else None

    @staticmethod
    def resolve_person(obj) -> PersonOut:
        return PersonOut.from_resident(obj.resident)

    @staticmethod
    def resolve_candidates(obj) -> list:
        return list(obj.candidates.all())


class DecisionIn(Schema):
    decision: Literal["duplicate", "single"]
    reason: str = Field(..., max_length=280)


class DecisionOut(Schema):
    application_id: int
    status: str
    duplicate_kind: str
