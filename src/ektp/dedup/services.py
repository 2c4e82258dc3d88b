"""Penunggalan: every arriving recording is checked against the whole register.

Candidates come from the register's biometric index (register_index.py: FAISS per modality,
loaded once per worker process and kept in step with the database) and from demographic
blocking on the normalised name and birth date; the same resident (NIK) recorded twice is a
one-to-one duplicate. Each candidate is scored in every modality, the scores become calibrated
log-likelihood ratios and are summed; the thresholds in settings decide (duplicate /
adjudicate / single). The candidates with their scores are kept for the adjudication screen."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ektp.dedup import register_index
from ektp.dedup.engine.decision import ADJUDICATE, DUPLICATE, SINGLE, overall_outcome
from ektp.dedup.engine.gallery import Probe
from ektp.dedup.engine.register_gallery import Match, Person, RegisterGallery
from ektp.dedup.engine.vector_index import IndexPolicy
from ektp.dedup.models import DedupCandidate
from ektp.dedup.register_index import GALLERY_STATUSES, unseal_probe
from ektp.enrollment.models import Enrollment
from ektp.enrollment.sealing import SealError
from ektp.errors import Conflict, DomainError, NotFound
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application, ApplicationHistory
from ektp.issuance.services import application_transition

__all__ = ["GALLERY_STATUSES", "dedup_application", "dedup_queue", "dedup_run_queue", "probe_of"]

# The sealed photo and signature (up to 2 MB each) are never needed for matching.
IMAGE_FIELDS = ("photo_sealed", "signature_sealed")
DEDUP_LOCK_KEY = 0x454B5450  # "EKTP": the advisory lock serialising penunggalan decisions
BATCH = 256  # applications searched together and decided under one lock by the queue runner


@dataclass(frozen=True)
class Thresholds:
    duplicate: float  # fused LLR at or above: a duplicate record
    adjudicate: float  # at or above: a person looks at it


def thresholds() -> Thresholds:
    return Thresholds(settings.EKTP_DEDUP_DUPLICATE_LLR, settings.EKTP_DEDUP_ADJUDICATE_LLR)


def _floor() -> float:
    """Below this fused LLR a match is kept only for its demographics (see candidate_outcome)."""
    t = thresholds()
    return min(t.adjudicate, t.duplicate)


def probe_of(enrollment: Enrollment, templates=None) -> Probe:
    """Unseal an enrollment's templates (SealError if any cannot be opened or is malformed)."""
    rows = templates if templates is not None else enrollment.templates.all()
    return unseal_probe(enrollment.enrollment_id,
                        [(t.modality, t.position, t.sealed) for t in rows])


def person_of(enrollment: Enrollment) -> Person:
    resident = enrollment.resident
    return Person.of(resident.pk, resident.name, resident.birth_date, resident.sex)


def candidate_outcome(match: Match, t: Thresholds) -> str:
    """The same NIK twice is a duplicate; so is fused evidence past the duplicate threshold
    that no biometric modality contradicts (a twin's face with other fingers, however alike
    the names, goes to a person). Past the adjudication threshold a person decides. The same
    name, birth date and sex also goes to a person unless both biometric modalities speak
    against it (namesakes are common in a large register; adjudication is for biometrics that
    resemble, domain.md)."""
    contradicted = match.face_llr < 0 or match.finger_llr < 0
    if match.same_resident or (match.fused >= t.duplicate and not contradicted):
        return DUPLICATE
    if match.fused >= t.adjudicate:
        return ADJUDICATE
    if match.namesake and not (match.face_llr < 0 and match.finger_llr < 0):
        return ADJUDICATE
    return SINGLE


def candidates_of(matches: list[Match], t: Thresholds) -> list[DedupCandidate]:
    """The matches worth keeping (a duplicate or a case for adjudication), as rows. Distances
    and scores outside the review bounds are left empty, as the adjudication screen expects."""
    out = []
    for match in matches:
        outcome = candidate_outcome(match, t)
        if outcome == SINGLE:
            continue
        out.append(DedupCandidate(
            matched_enrollment_id=match.record_id, face_distance=_within(
                match.face_distance, lambda d: d <= settings.EKTP_FACE_REVIEW_DISTANCE),
            finger_score=_within(
                match.finger_score, lambda s: s >= settings.EKTP_FINGER_REVIEW_SCORE),
            demographic_match=match.namesake
            or match.same_resident, outcome=outcome,
            kind=DedupCandidate.Kind.ONE_TO_ONE if match.same_resident
            else DedupCandidate.Kind.ONE_TO_MANY,
            face_llr=match.face_llr, finger_llr=match.finger_llr,
            demographic_llr=match.demographic_llr, fused_llr=match.fused))
    return out


def _within(score: float | None, close: Callable[[float], bool]) -> float | None:
    """A score is shown when it is within the review bound; the LLRs always are."""
    return score if score is not None and close(score) else None


def _duplicate_kind(candidates: list[DedupCandidate]) -> str:
    kinds = {c.kind for c in candidates if c.outcome == DUPLICATE}
    return DedupCandidate.Kind.ONE_TO_ONE if DedupCandidate.Kind.ONE_TO_ONE in kinds else (
        DedupCandidate.Kind.ONE_TO_MANY if kinds else "")


def dedup_application(*, application_id: int, actor=None) -> str:
    """Decide one application waiting at RECEIVED_AT_CENTRAL. Idempotent: an application that
    has already been decided is left as it is and its status returned.

    Search and decision run under one lock: two workers deciding two recordings of the same
    person at once would each miss the other and both call it single."""
    with transaction.atomic():
        serialize_decisions()
        work = _prepare([application_id])[0]
        if work.status is not None:
            return work.status
        index = register_index.current()
        matches = index.gallery.search([work.probe], [work.person],
                                       settings.EKTP_DEDUP_CANDIDATES_PER_SOURCE,
                                       index.calibrations, floor=_floor())[0]
        return _conclude(work, matches, index, actor)


def serialize_decisions() -> None:
    """One penunggalan decision at a time across workers. SQLite needs nothing more: its
    IMMEDIATE transactions already hold the write lock from BEGIN."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DEDUP_LOCK_KEY])


@dataclass
class _Work:
    """One application about to be decided: its recording unsealed, or its status settled."""

    application: Application
    status: str | None = None  # set when there is nothing to search (decided, unreadable...)
    probe: Probe | None = None
    person: Person | None = None


def _prepare(application_ids: list[int], lock: bool = False) -> list[_Work]:
    """Load and unseal; with `lock` the applications are locked (PostgreSQL) until the
    transaction ends, so a batch's decisions cannot meet a concurrent change."""
    applications = Application.objects.select_for_update(of=("self",)) if lock else (
        Application.objects)
    found = applications.select_related("enrollment__resident").defer(
        *(f"enrollment__{name}" for name in IMAGE_FIELDS)).prefetch_related(
        "enrollment__templates").in_bulk(application_ids)
    return [_prepare_one(found.get(pk)) for pk in application_ids]


def _prepare_one(application) -> _Work:
    if application is None:
        raise NotFound("Unknown application", code="application_unknown")
    if application.status != issuance_rules.S_RAC:
        return _Work(application, status=application.status)
    enrollment = application.enrollment
    try:
        probe = probe_of(enrollment)
    except SealError:
        return _Work(application, status=_decide(application, [], issuance_rules.S_EFC, None,
                                                 "templat biometrik tidak terbaca"))
    if probe.face is None or not probe.fingers:
        return _Work(application, status=_decide(application, [], issuance_rules.S_EFC, None,
                                                 "biometrik tidak lengkap"))
    return _Work(application, probe=probe, person=person_of(enrollment))


def _conclude(work: _Work, matches: list[Match], index, actor) -> str:
    candidates = candidates_of(matches, thresholds())
    live = index.still_in_gallery(c.matched_enrollment_id for c in candidates)
    candidates = [c for c in candidates if c.matched_enrollment_id in live
                  and c.matched_enrollment_id != work.application.enrollment_id]
    outcome = overall_outcome([c.outcome for c in candidates])
    status = _decide(work.application, candidates, outcome, actor, _reason(candidates))
    if status in GALLERY_STATUSES:
        index.entered(work.application.enrollment_id, work.probe, work.person,
                      work.application.pk)
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
            decided = application_transition(
                actor=actor, application_id=application.pk, to_status=outcome, reason=reason,
                duplicate_kind=_duplicate_kind(candidates))
            return decided.status
    except Conflict:
        # Another worker decided it meanwhile: its decision stands.
        return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def dedup_queue() -> list[int]:
    """Waiting applications, oldest recording first, so the first recording stays single."""
    return list(
        Application.objects.filter(status=issuance_rules.S_RAC)
        .order_by("enrollment__captured_at", "pk").values_list("pk", flat=True)
    )


def dedup_run_queue(*, actor=None, progress: Callable[[int], None] | None = None,
                    batch: int = BATCH) -> dict:
    """Process the whole queue, `batch` applications at a time: their recordings are searched
    against the index together (one FAISS call per source), then decided one by one, oldest
    first, under one lock, each also against the recordings decided before it in the batch.
    Returns outcome counts."""
    counts: dict[str, int] = {}
    queue = dedup_queue()
    for start in range(0, len(queue), batch):
        ids = queue[start:start + batch]
        for status in _run_batch(ids, actor):
            counts[status] = counts.get(status, 0) + 1
        if progress:
            progress(len(ids))
    index = register_index.current()
    if index.unsaved and len(index.gallery) >= settings.EKTP_DEDUP_INDEX_PERSIST_FROM:
        index.save()
    return counts


def _run_batch(application_ids: list[int], actor) -> list[str]:
    """Search a batch together, decide its applications oldest first (each also against the
    ones decided before it in the batch), and write the decisions together. If any
    application changed meanwhile, the batch is undone and decided one by one instead."""
    try:
        with transaction.atomic():
            serialize_decisions()
            work = _prepare(application_ids, lock=True)
            index = register_index.current()
            decided, entered = _decide_batch([w for w in work if w.status is None], index)
            for item, status in zip(decided, _record(decided, actor), strict=True):
                item[0].status = status
            index.absorb(entered)
            return [w.status for w in work]
    except Conflict:
        register_index.forget()  # it may hold the undone decisions
        return [dedup_application(application_id=pk, actor=actor) for pk in application_ids]


def _decide_batch(todo: list[_Work], index) -> tuple[list, list]:
    k, calibration, floor, t = (settings.EKTP_DEDUP_CANDIDATES_PER_SOURCE, index.calibrations,
                                _floor(), thresholds())
    found = index.gallery.search([w.probe for w in todo], [w.person for w in todo], k,
                                 calibration, floor=floor)
    # The batch's own decisions go to a small exact gallery, searched as well; they join the
    # index together at the end (one insert instead of one per recording).
    batch = RegisterGallery(finger_dim=index.gallery.finger_dim,
                            policy=IndexPolicy(hnsw_from=1 << 62))
    decided, entered = [], []
    for item, matches in zip(todo, found, strict=True):
        if len(batch):
            matches = matches + batch.search([item.probe], [item.person], k, calibration,
                                             floor=floor)[0]
        candidates = candidates_of(matches, t)
        live = index.still_in_gallery(c.matched_enrollment_id for c in candidates
                                      if c.matched_enrollment_id not in batch)
        candidates = [c for c in candidates if c.matched_enrollment_id in live
                      or c.matched_enrollment_id in batch]
        outcome = overall_outcome([c.outcome for c in candidates])
        decided.append((item, candidates, outcome))
        if outcome in GALLERY_STATUSES:
            recording = (item.application.enrollment_id, item.probe, item.person)
            batch.add(*([value] for value in recording))
            entered.append(recording)
    return decided, entered


def _record(decided: list, actor) -> list[str]:
    """The batch's decisions as application_transition makes them (conditional update from
    RECEIVED_AT_CENTRAL, a history row each, the candidates), in a few statements."""
    now, groups = timezone.now(), {}
    for item, candidates, outcome in decided:
        groups.setdefault((outcome, _duplicate_kind(candidates)), []).append(
            item.application.pk)
    for (outcome, kind), ids in groups.items():
        updated = Application.objects.filter(pk__in=ids, status=issuance_rules.S_RAC).update(
            status=outcome, status_changed_at=now, duplicate_kind=kind)
        if updated != len(ids) or not issuance_rules.can_transition(issuance_rules.S_RAC,
                                                                     outcome):
            raise Conflict("An application changed meanwhile", code="status_changed")
    by = actor if actor is not None and actor.is_authenticated else None
    ApplicationHistory.objects.bulk_create([ApplicationHistory(
        application_id=item.application.pk, from_status=issuance_rules.S_RAC,
        to_status=outcome, at=now, actor=by, site=settings.EKTP_SITE_CODE,
        reason=_reason(candidates)) for item, candidates, outcome in decided], batch_size=1000)
    rows = []
    for item, candidates, _ in decided:
        for candidate in candidates:
            candidate.application_id = item.application.pk
            rows.append(candidate)
    DedupCandidate.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return [outcome for _, _, outcome in decided]


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
