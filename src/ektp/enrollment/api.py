"""Perekaman over the API: a station posts one recording as a multipart form.

Every refusal is a 4xx ``{"detail", "code"}`` and writes nothing: the service checks all the
captures before it opens its transaction.
"""

from django.conf import settings
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, region_allowed, restrict
from ektp.enrollment.models import Enrollment
from ektp.enrollment.schemas import EnrollmentCreatedOut, EnrollmentForm, EnrollmentOut
from ektp.enrollment.services import Capture, enrollment_record
from ektp.errors import NotFound, PermissionDenied
from ektp.issuance.schemas import ErrorOut
from ektp.residents.models import Resident

router = Router(tags=["enrollment"])

ERRORS = {frozenset({400, 401, 403, 404, 409, 422}): ErrorOut}


def _check_may_record(user, resident_id: int) -> None:
    if not may(user, roles.ENROLLMENT_RECORD):
        raise PermissionDenied("You may not record", code="forbidden")
    village = Resident.objects.filter(pk=resident_id).values_list(
        "family__village_id", flat=True).first()
    if village is None or not region_allowed(user, village):
        raise NotFound("Unknown resident", code="resident_unknown")


def _read_upload(upload: UploadedFile | None) -> bytes:
    """The file's bytes, but never more than one byte over the limit: an oversized upload is
    refused by the size check without being read into memory whole."""
    if upload is None:
        return b""
    return upload.read(settings.EKTP_MAX_PHOTO_BYTES + 1)


def _capture(form: EnrollmentForm, photo: bytes, signature: bytes) -> Capture:
    return Capture(
        resident_id=form.resident_id, station_code=form.station_code, sequence=form.sequence,
        captured_at=form.captured_at, biodata_confirmed=form.biodata_confirmed,
        photo=photo, signature=signature, fingerprints=form.fingerprints,
    )


@router.post("", response={201: EnrollmentCreatedOut, **ERRORS})
def create_enrollment(request, form: Form[EnrollmentForm], photo: File[UploadedFile] = None,
                      signature: File[UploadedFile] = None):
    """Record a perekaman: biodata confirmation, face photo, fingerprints and signature.

    The application opens at BIO_CAPTURED and, on a central server, is received at once
    (RECEIVED_AT_CENTRAL) and queued for penunggalan.
    """
    _check_may_record(request.user, form.resident_id)
    capture = _capture(form, _read_upload(photo), _read_upload(signature))
    enrollment = enrollment_record(actor=request.user, capture=capture)
    # Read afresh: with an immediate task backend penunggalan has already decided it.
    application = enrollment.applications.order_by("pk").values("id", "status").first()
    return Status(201, {"enrollment_id": enrollment.enrollment_id, "application": application})


@router.get("/{enrollment_id}", response={200: EnrollmentOut, **ERRORS})
def get_enrollment(request, enrollment_id: str):
    """A recording's metadata (for a station checking that it arrived)."""
    enrollments = restrict(request.user, roles.APPLICATION_VIEW, Enrollment.objects)
    enrollment = enrollments.defer("photo_sealed", "signature_sealed").filter(
        enrollment_id=enrollment_id).first()
    if enrollment is None:
        raise NotFound("Unknown recording", code="enrollment_unknown")
    return enrollment
