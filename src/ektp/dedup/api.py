"""Adjudication: the queue of doubtful recordings with their candidates, and the decision."""

from django.db.models import Prefetch, QuerySet
from ninja import Router
from ninja.pagination import PageNumberPagination, paginate

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, restrict
from ektp.dedup.models import DedupCandidate
from ektp.dedup.schemas import AdjudicationOut, DecisionIn, DecisionOut
from ektp.dedup.services import adjudication_decide
from ektp.errors import NotFound, PermissionDenied
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.issuance.schemas import ErrorOut

router = Router(tags=["dedup"])

ERRORS = {frozenset({400, 401, 403, 404, 409, 422}): ErrorOut}
# Matching needs none of the sealed images; they are up to 2 MB each.
IMAGES = ("photo_sealed", "signature_sealed")


def _candidates() -> QuerySet[DedupCandidate]:
    return DedupCandidate.objects.select_related("matched_enrollment__resident__family").defer(
        *(f"matched_enrollment__{name}" for name in IMAGES))


def _waiting(user) -> QuerySet[Application]:
    applications = Application.objects.filter(status=issuance_rules.S_ADJ).select_related(
        "resident__family", "enrollment").defer(*(f"enrollment__{name}" for name in IMAGES))
    return restrict(user, roles.APPLICATION_ADJUDICATE, applications).prefetch_related(
        Prefetch("candidates", queryset=_candidates()))


@router.get("", response=list[AdjudicationOut])
@paginate(PageNumberPagination, page_size=20)
def list_adjudication(request):
    """Recordings at ADJUDICATE_RECORD in the user's region, longest waiting first."""
    return _waiting(request.user).order_by("status_changed_at", "pk")


@router.post("/{application_id}", response={200: DecisionOut, **ERRORS})
def decide(request, application_id: int, payload: DecisionIn):
    """Confirm the duplicate (DUPLICATE_RECORD, never printed) or clear the recording as
    single (PRINT_READY_RECORD), with a reason kept in the history."""
    if not may(request.user, roles.APPLICATION_ADJUDICATE):
        raise PermissionDenied("You may not adjudicate", code="forbidden")
    in_region = restrict(request.user, roles.APPLICATION_ADJUDICATE, Application.objects)
    if not in_region.filter(pk=application_id).exists():
        raise NotFound("Unknown application", code="application_unknown")
    application = adjudication_decide(actor=request.user, application_id=application_id,
                                      decision=payload.decision, reason=payload.reason)
    return {"application_id": application.pk, "status": application.status,
            "duplicate_kind": application.duplicate_kind}
