"""Perekaman: check every capture, seal the biometrics, and open the application.

All checks run before the transaction, so a refused recording writes nothing.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ektp.audit.services import audit_record
from ektp.enrollment import capture_quality
from ektp.enrollment.face import get_face_embedder
from ektp.enrollment.keys import biometric_key
from ektp.enrollment.models import BiometricTemplate, Enrollment
from ektp.enrollment.sealing import row_binding, seal, seal_vector
from ektp.errors import Conflict, DomainError, NotFound
from ektp.issuance import rules as issuance_rules
from ektp.issuance.services import application_start, application_transition, queue_dedup
from ektp.residents.models import Resident
from ektp.residents.rules import age_on
from ektp.stations import outbox as station_outbox

STATION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.-]{1,23}$")
# Biometric capture is allowed from 16; the card is printed at 17 or once married.
MIN_RECORDING_AGE = 16
CLOCK_SKEW = timedelta(minutes=10)


@dataclass
class Capture:
    """What the station sends: who, where, when, and the captured images and templates."""

    resident_id: int
    station_code: str
    sequence: int
    captured_at: datetime
    biodata_confirmed: bool
    photo: bytes
    signature: bytes
    fingerprints: dict[int, list[float]]
    face_template: np.ndarray | None = None  # computed from the photo when not given
    checked_fingers: dict[int, np.ndarray] = field(default_factory=dict)
    photo_size: tuple[int, int] = (0, 0)


def make_enrollment_id(station_code: str, sequence: int, captured_at: datetime) -> str:
    """Made where the recording happened: station + per-station sequence + capture time."""
    stamp = captured_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{station_code}-{sequence:08d}-{stamp}"


def _check_header(capture: Capture) -> None:
    if not STATION_CODE.match(capture.station_code or ""):
        raise DomainError("Station code: 2-24 of A-Z, 0-9, '.', '-'", code="station_code")
    if capture.sequence < 1:
        raise DomainError("The station sequence starts at 1", code="sequence")
    if timezone.is_naive(capture.captured_at):
        raise DomainError("The capture time needs its time zone", code="captured_at_naive")
    if capture.captured_at > timezone.now() + CLOCK_SKEW:
        raise DomainError("The capture time is in the future", code="captured_at_future")
    if not capture.biodata_confirmed:
        raise DomainError("The resident has not confirmed the biodata",
                          code="biodata_not_confirmed")


def _check_captures(capture: Capture) -> None:
    if not capture.photo:
        # Without a face photo there is no face template and nothing to print on the card.
        raise DomainError("The face photo has not been captured", code="photo_missing")
    capture.photo_size = capture_quality.check_photo(
        capture.photo, max_bytes=settings.EKTP_MAX_PHOTO_BYTES,
        min_side=settings.EKTP_MIN_PHOTO_SIDE)
    capture_quality.check_signature(capture.signature, max_bytes=settings.EKTP_MAX_PHOTO_BYTES)
    capture.checked_fingers = capture_quality.check_fingerprints(
        capture.fingerprints, dim=settings.EKTP_FINGERPRINT_DIM,
        min_fingers=settings.EKTP_MIN_FINGERPRINTS)
    if capture.face_template is None:
        capture.face_template = get_face_embedder().embed(capture.photo)
    face = np.asarray(capture.face_template, dtype=np.float32)
    if face.shape != (128,) or not np.all(np.isfinite(face)):
        raise DomainError("The face template must be 128 finite numbers", code="face_template")
    capture.face_template = face


def _recordable_resident(resident_id: int, captured_on: date, *, lock: bool = False) -> Resident:
    residents = Resident.objects.select_for_update() if lock else Resident.objects
    resident = residents.filter(pk=resident_id).first()
    if resident is None:
        raise NotFound("Unknown resident", code="resident_unknown")
    if resident.status == Resident.Status.DECEASED:
        raise Conflict("The resident is recorded as deceased", code="resident_deceased")
    # The age that counts is the age on the day of capture: a station may sync days later.
    born = resident.birth_date
    if captured_on < born or age_on(born, captured_on) < MIN_RECORDING_AGE:
        raise DomainError("Recording starts at 16 years of age", code="too_young")
    return resident


def _already_received(capture: Capture, enrollment_id: str) -> bool:
    # A station never reuses a sequence number, so the same station and sequence with another
    # capture time is the same recording too (and the unique constraint would refuse it).
    return Enrollment.objects.filter(
        Q(enrollment_id=enrollment_id)
        | Q(station_code=capture.station_code, sequence=capture.sequence)
    ).exists()


def enrollment_record(*, actor, capture: Capture, enqueue_dedup: bool = True) -> Enrollment:
    """Check and store a recording, open its application and send it to central.

    A recording whose id already exists is refused (409 enrollment_id_exists): the station's
    retry of a recording that arrived is recognised, never stored twice.
    """
    _check_header(capture)
    station_outbox.station_guard()  # a station cut off too long stops recording (no-op central)
    enrollment_id = make_enrollment_id(capture.station_code, capture.sequence,
                                       capture.captured_at)
    if _already_received(capture, enrollment_id):
        raise Conflict("This recording has already been received", code="enrollment_id_exists")
    _recordable_resident(capture.resident_id, _capture_day(capture))
    _check_captures(capture)  # the slow part (face detection) runs outside the transaction
    try:
        enrollment = _store(actor, capture, enrollment_id, enqueue_dedup)
    except IntegrityError as exc:  # the same recording arriving twice at the same moment
        raise Conflict("This recording has already been received",
                       code="enrollment_id_exists") from exc
    return enrollment


def _capture_day(capture: Capture) -> date:
    return timezone.localdate(capture.captured_at)


@transaction.atomic
def _store(actor, capture: Capture, enrollment_id: str, enqueue_dedup: bool) -> Enrollment:
    # Locked so a death recorded meanwhile cannot leave an open application behind it.
    resident = _recordable_resident(capture.resident_id, _capture_day(capture), lock=True)
    key = biometric_key()
    width, height = capture.photo_size
    enrollment = Enrollment.objects.create(
        enrollment_id=enrollment_id, resident=resident, station_code=capture.station_code,
        sequence=capture.sequence, captured_at=capture.captured_at,
        operator=actor if actor and actor.is_authenticated else None,
        photo_sealed=seal(capture.photo, key=key,
                          associated_data=row_binding(enrollment_id, "photo")),
        signature_sealed=seal(capture.signature, key=key,
                              associated_data=row_binding(enrollment_id, "signature")),
        photo_width=width, photo_height=height, finger_count=len(capture.checked_fingers),
    )
    _store_templates(enrollment, capture, key)
    _open_application(actor, enrollment, resident, enqueue_dedup)
    audit_record(actor=actor, action="create", obj=enrollment, nik=resident.nik)
    station_outbox.enrollment_packet(enrollment=enrollment, capture=capture)
    return enrollment


def template_binding(enrollment_id: str, modality: str, position: int) -> bytes:
    return row_binding(enrollment_id, f"{modality}:{position}")


def _store_templates(enrollment: Enrollment, capture: Capture, key: bytes) -> None:
    vectors = [(BiometricTemplate.Modality.FACE, 0, capture.face_template)]
    vectors += [(BiometricTemplate.Modality.FINGER, pos, vec)
                for pos, vec in capture.checked_fingers.items()]
    BiometricTemplate.objects.bulk_create(
        BiometricTemplate(
            enrollment=enrollment, modality=modality, position=position,
            sealed=seal_vector(vector, key=key, associated_data=template_binding(
                enrollment.enrollment_id, modality, position)),
        )
        for modality, position, vector in vectors
    )


def _open_application(actor, enrollment, resident, enqueue_dedup: bool) -> None:
    """BIO_CAPTURED, then sent and received: on a central server the recording arrives at once
    (a station keeps it at BIO_CAPTURED until it syncs)."""
    application = application_start(actor=actor, resident=resident, kind="new",
                                    status=issuance_rules.S_BIO, enrollment=enrollment)
    if settings.EKTP_ROLE != "central":
        return
    for status in (issuance_rules.S_SFE, issuance_rules.S_RAC):
        application_transition(actor=actor, application_id=application.pk, to_status=status)
    if enqueue_dedup:
        queue_dedup(application.pk)
