"""Penunggalan v1: every arriving recording is searched 1:N against every decided recording
(exact face and fingerprint search), and checked for the demographic signals: the same NIK
recorded twice (one-to-one) and the same name and birth date under another NIK."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from ektp.dedup.engine.decision import (
    DUPLICATE,
    Thresholds,
    candidate_outcome,
    overall_outcome,
)
from ektp.dedup.engine.gallery import Gallery, Probe
from ektp.dedup.models import DedupCandidate
from ektp.enrollment.keys import biometric_key
from ektp.enrollment.models import BiometricTemplate, Enrollment
from ektp.enrollment.sealing import SealError, unseal_vector
from ektp.enrollment.services import template_binding
from ektp.errors import Conflict, DomainError, NotFound
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.issuance.services import application_transition

FACE_DIM = 128
# The sealed photo and signature (up to 2 MB each) are never needed for matching.
IMAGE_FIELDS = ("photo_sealed", "signature_sealed")

DEDUP_LOCK_KEY = 0x454B5450  # "EKTP": the advisory lock serialising penunggalan decisions
# Recordings that have been through penunggalan (or beyond) and are searched against.
GALLERY_STATUSES = frozenset({
    issuance_rules.S_PRR, issuance_rules.S_DUP, issuance_rules.S_ADJ, issuance_rules.S_SFP,
    issuance_rules.S_PRINTED, issuance_rules.S_SHIPPED, issuance_rules.S_ISSUED,
})


def thresholds() -> Thresholds:
    return Thresholds(
        face_match=settings.EKTP_FACE_MATCH_DISTANCE,
        face_review=settings.EKTP_FACE_REVIEW_DISTANCE,
        finger_match=settings.EKTP_FINGER_MATCH_SCORE,
        finger_review=settings.EKTP_FINGER_REVIEW_SCORE,
    )


@dataclass
class RegisterGallery:
    """The biometric gallery plus who each recording belongs to and their demographic key."""

    gallery: Gallery = field(default_factory=lambda: Gallery(
        finger_dim=settings.EKTP_FINGERPRINT_DIM))
    by_resident: dict[int, set[int]] = field(default_factory=dict)  # resident -> enrollments
    by_person: dict[tuple, set[int]] = field(default_factory=dict)  # demographic key -> pks

    def add(self, enrollment: Enrollment, probe: Probe) -> None:
        self.gallery.add(enrollment.pk, probe)
        self.by_resident.setdefault(enrollment.resident_id, set()).add(enrollment.pk)
        self.by_person.setdefault(demographic_key(enrollment.resident), set()).add(enrollment.pk)


def demographic_key(resident) -> tuple:
    return (" ".join(resident.name.split()).upper(), resident.birth_date, resident.sex)


def probe_of(enrollment: Enrollment, templates=None) -> Probe:
    """Unseal an enrollment's templates (SealError if any cannot be opened or has the wrong
    length: a short vector would otherwise break the whole gallery's matrix search)."""
    key = biometric_key()
    face, fingers = None, {}
    for template in templates if templates is not None else enrollment.templates.all():
        dim = FACE_DIM if template.modality == BiometricTemplate.Modality.FACE else (
            settings.EKTP_FINGERPRINT_DIM)
        vector = unseal_vector(bytes(template.sealed), key=key, dim=dim,
                               associated_data=template_binding(
                                   enrollment.enrollment_id, template.modality,
                                   template.position))
        if template.modality == BiometricTemplate.Modality.FACE:
            face = vector
        else:
            fingers[template.position] = vector
    return Probe(face=face, fingers=fingers)


def gallery_load(*, progress: Callable[[int], None] | None = None) -> RegisterGallery:
    loaded = RegisterGallery()
    enrollments = (
        Enrollment.objects.filter(applications__status__in=GALLERY_STATUSES).distinct()
        .defer(*IMAGE_FIELDS).select_related("resident").prefetch_related("templates").order_by("pk")
    )
    for enrollment in enrollments.iterator(chunk_size=2000):
        try:
            loaded.add(enrollment, probe_of(enrollment, enrollment.templates.all()))
        except SealError:
            continue  # an unreadable stored record cannot match; it is reported on its own
        if progress:
            progress(1)
    return loaded


def find_candidates(enrollment: Enrollment, probe: Probe,
                    loaded: RegisterGallery) -> list[DedupCandidate]:
    t = thresholds()
    hits = {h.record_id: h for h in loaded.gallery.search(
        probe, face_limit=t.face_review, finger_limit=t.finger_review)}
    same_person = loaded.by_person.get(demographic_key(enrollment.resident), set())
    same_nik = loaded.by_resident.get(enrollment.resident_id, set())
    candidates = []
    for pk in (set(hits) | same_person | same_nik) - {enrollment.pk}:
        hit = hits.get(pk)
        face, finger = (hit.face_distance, hit.finger_score) if hit else (None, None)
        one_to_one = pk in same_nik
        outcome = DUPLICATE if one_to_one else candidate_outcome(
            face, finger, pk in same_person, t)
        candidates.append(DedupCandidate(
            matched_enrollment_id=pk, face_distance=face, finger_score=finger,
            demographic_match=pk in same_person or one_to_one, outcome=outcome,
            kind=DedupCandidate.Kind.ONE_TO_ONE if one_to_one else DedupCandidate.Kind.ONE_TO_MANY,
        ))
    return candidates


def _duplicate_kind(candidates: list[DedupCandidate]) -> str:
    kinds = {c.kind for c in candidates if c.outcome == DUPLICATE}
    return DedupCandidate.Kind.ONE_TO_ONE if DedupCandidate.Kind.ONE_TO_ONE in kinds else (
        DedupCandidate.Kind.ONE_TO_MANY if kinds else "")


def dedup_application(*, application_id: int, loaded: RegisterGallery | None = None,
                      actor=None) -> str:
    """Decide one application waiting at RECEIVED_AT_CENTRAL. Idempotent: an application that
    has already been decided is left as it is and its status returned.

    Search and decision run under one lock: two workers deciding two recordings of the same
    person at once would each miss the other and both call it single."""
    with transaction.atomic():
        serialize_decisions()
        return _dedup_locked(application_id, loaded, actor)


def serialize_decisions() -> None:
    """One penunggalan decision at a time across workers. SQLite needs nothing more: its
    IMMEDIATE transactions already hold the write lock from BEGIN."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DEDUP_LOCK_KEY])


def _dedup_locked(application_id, loaded, actor) -> str:
    application = Application.objects.select_related("enrollment__resident").defer(
        *(f"enrollment__{name}" for name in IMAGE_FIELDS)).filter(pk=application_id).first()
    if application is None:
        raise NotFound("Unknown application", code="application_unknown")
    if application.status != issuance_rules.S_RAC:
        return application.status
    enrollment = application.enrollment
    try:
        probe = probe_of(enrollment)
    except SealError:
        return _decide(application, [], issuance_rules.S_EFC, actor,
                       "templat biometrik tidak terbaca")
    if probe.face is None or not probe.fingers:
        return _decide(application, [], issuance_rules.S_EFC, actor, "biometrik tidak lengkap")
    loaded = loaded if loaded is not None else gallery_load()
    candidates = find_candidates(enrollment, probe, loaded)
    outcome = overall_outcome([c.outcome for c in candidates])
    status = _decide(application, candidates, outcome, actor, _reason(candidates))
    if status in GALLERY_STATUSES:
        loaded.add(enrollment, probe)
    return status


def _reason(candidates: list[DedupCandidate]) -> str:
    if not candidates:
        return "tunggal"
    return f"{len(candidates)} kandidat"


def _decide(application, candidates, outcome, actor, reason) -> str:
    try:
        with transaction.atomic():
            for candidate in candidates:
                candidate.application = application
            DedupCandidate.objects.bulk_create(candidates, ignore_conflicts=True)
            application_transition(actor=actor, application_id=application.pk,
                                   to_status=outcome, reason=reason,
                                   duplicate_kind=_duplicate_kind(candidates))
    except Conflict:
        # Another worker decided it meanwhile: its decision stands.
        application.refresh_from_db()
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def dedup_queue() -> list[int]:
    """Waiting applications, oldest recording first, so the first recording stays single."""
    return list(
        Application.objects.filter(status=issuance_rules.S_RAC)
        .order_by("enrollment__captured_at", "pk").values_list("pk", flat=True)
    )


def dedup_run_queue(*, actor=None, progress: Callable[[int], None] | None = None) -> dict:
    """Process the whole queue with one gallery loaded once; returns outcome counts."""
    loaded = gallery_load()
    counts: dict[str, int] = {}
    for application_id in dedup_queue():
        status = dedup_application(application_id=application_id, loaded=loaded, actor=actor)
        counts[status] = counts.get(status, 0) + 1
        if progress:
            progress(1)
    return counts


ADJUDICATION_DECISIONS = {"duplicate": issuance_rules.S_DUP, "single": issuance_rules.S_PRR}


def adjudication_decide(*, actor, application_id: int, decision: str, reason: str) -> Application:
    """A supervisor confirms the duplicate or clears the record as single, with a reason.

    Only an application waiting at ADJUDICATE_RECORD may be decided: the state machine also
    lets RECEIVED_AT_CENTRAL reach PRR, and an adjudicator must not skip the search.
    """
    if decision not in ADJUDICATION_DECISIONS:
        raise DomainError("Decision must be 'duplicate' or 'single'", code="decision_unknown")
    if not reason.strip():
        raise DomainError("An adjudication needs a reason", code="reason_required")
    current = Application.objects.filter(pk=application_id).values_list(
        "status", flat=True).first()
    if current is None:
        raise NotFound("Unknown application", code="application_unknown")
    if current != issuance_rules.S_ADJ:
        raise Conflict("The application is not waiting for adjudication",
                       code="not_awaiting_adjudication")
    fields = {"duplicate_kind": DedupCandidate.Kind.ONE_TO_MANY} if decision == "duplicate" else {}
    return application_transition(actor=actor, application_id=application_id,
                                  to_status=ADJUDICATION_DECISIONS[decision],
                                  expected_status=issuance_rules.S_ADJ,
                                  reason=f"adjudikasi: {reason.strip()}", **fields)
