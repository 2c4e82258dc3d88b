"""Station side: packets into the outbox, in the transaction of the local change, and the
guard rails that stop new recordings when the station has been cut off too long.

The hooks (``enrollment_packet``, ``print_packet`` ...) are called by the enrollment,
printing, supplies and certificate services only when ``EKTP_ROLE`` is ``station``."""

import shutil
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.errors import Conflict
from ektp.stations import keys, packets
from ektp.stations.models import OutboxPacket, StationIdentity


def is_station() -> bool:
    return settings.EKTP_ROLE == "station"


def identity() -> StationIdentity:
    station = StationIdentity.objects.filter(pk=1).first()
    if station is None:
        raise Conflict(_("Stasiun ini belum terdaftar di server pusat (ektp station register)"),
                       code="station_not_registered")
    return station


def _next_sequence() -> int:
    # A conditional F() update under the write lock: two packets never share a number.
    if StationIdentity.objects.filter(pk=1).update(last_sequence=F("last_sequence") + 1) != 1:
        identity()
    return StationIdentity.objects.values_list("last_sequence", flat=True).get(pk=1)


def outbox_add(*, kind: str, payload: dict, occurred_at=None, secret: dict | None = None
               ) -> OutboxPacket:
    """Sign a packet and put it in the outbox (caller's transaction). ``secret`` is sealed to
    central's X25519 key: only central can read it."""
    station = identity()
    with transaction.atomic():
        sequence = _next_sequence()
        body = packets.make_body(station=station.code, seq=sequence, kind=kind, payload=payload,
                                 occurred_at=occurred_at or timezone.now())
        if secret is not None:
            body["sealed"] = packets.b64(packets.seal_to(
                packets.x25519_public(station.central_box_key), packets.canonical(secret),
                associated_data=packets.sealed_aad(body)))
        envelope = packets.sign_body(body, keys.station_private_key())
        return OutboxPacket.objects.create(
            packet_id=body["id"], sequence=sequence, kind=kind,
            occurred_at=packets.parse_utc(body["occurred_at"]),
            envelope=packets.canonical(envelope).decode("utf-8"))


# --- guard rails --------------------------------------------------------------------------------


def guard_limits() -> dict:
    """This machine's limits; on a station, those central last sent win (the office decides
    how long its stations may work cut off), each checked to be a positive whole number."""
    limits = {"max_days": settings.EKTP_STATION_MAX_DAYS_UNSYNCED,
              "max_packets": settings.EKTP_STATION_MAX_UNSYNCED,
              "min_free_mb": settings.EKTP_STATION_MIN_FREE_MB}
    if is_station():
        central = StationIdentity.objects.filter(pk=1).values_list("limits", flat=True).first()
        limits.update({name: value for name, value in (central or {}).items()
                       if name in limits and isinstance(value, int)
                       and not isinstance(value, bool) and value > 0})
    return limits


def free_megabytes() -> float:
    return shutil.disk_usage(settings.DATA_DIR).free / 2**20


def station_guard() -> None:
    """Refuse a new recording past a limit (MOSIP's registration client does the same)."""
    if not is_station():
        return
    station, limits = identity(), guard_limits()
    last = station.last_sync_at or station.registered_at
    if timezone.now() - last > timedelta(days=limits["max_days"]):
        raise Conflict(_("Stasiun belum sinkron lebih dari %(n)d hari; sinkronkan dulu "
                         "(ektp sync atau ekspor ke USB)") % {"n": limits["max_days"]},
                       code="station_sync_overdue")
    if OutboxPacket.objects.count() >= limits["max_packets"]:
        raise Conflict(_("Antrean kirim stasiun penuh (%(n)d paket); sinkronkan dulu")
                       % {"n": limits["max_packets"]}, code="station_outbox_full")
    if free_megabytes() < limits["min_free_mb"]:
        raise Conflict(_("Ruang disk stasiun kurang dari %(n)d MB") % {"n": limits["min_free_mb"]},
                       code="station_disk_low")


def outbox_summary() -> dict:
    pending = OutboxPacket.objects.filter(state=OutboxPacket.State.PENDING)
    return {"queue_length": pending.count(),
            "oldest_unsynced_at": pending.aggregate(m=Min("occurred_at"))["m"],
            "rejected": OutboxPacket.objects.filter(state=OutboxPacket.State.REJECTED).count()}


# --- hooks from other apps' services ------------------------------------------------------------


def _vector(vector) -> str:
    return packets.b64(np.asarray(vector, dtype="<f4").tobytes())


def enrollment_packet(*, enrollment, capture) -> None:
    """The recording as a packet; photo, signature and templates sealed to central."""
    if not is_station():
        return
    if enrollment.station_code != identity().code:
        raise Conflict(_("Kode stasiun rekaman harus kode stasiun ini (%(c)s)")
                       % {"c": identity().code}, code="station_code_mismatch")
    secret = {"photo": packets.b64(capture.photo), "signature": packets.b64(capture.signature),
              "face": _vector(capture.face_template),
              "fingers": {str(pos): _vector(vec) for pos, vec in capture.checked_fingers.items()}}
    payload = {"nik": enrollment.resident.nik, "station_code": enrollment.station_code,
               "sequence": enrollment.sequence,
               "captured_at": packets.utc_text(enrollment.captured_at),
               "biodata_confirmed": bool(capture.biodata_confirmed)}
    outbox_add(kind="enrollment", payload=payload, occurred_at=enrollment.captured_at,
               secret=secret)


def application_ref(application) -> dict:
    """How central finds a station's application: by its recording (station + sequence)."""
    enrollment = application.enrollment
    if enrollment is not None:
        return {"station": enrollment.station_code, "sequence": enrollment.sequence}
    return {"nik": application.resident.nik, "local_id": application.pk}


def print_packet(*, job) -> None:
    if is_station():
        outbox_add(kind="print_result", payload={
            "application": application_ref(job.application), "blank_serial": job.blank_serial,
            "office_code": job.office.code})


def spoil_packet(*, job) -> None:
    if is_station():
        outbox_add(kind="spoiled", payload={
            "application": application_ref(job.application), "blank_serial": job.blank_serial,
            "office_code": job.office.code, "reason": job.spoil_reason})


def stock_packet(*, movement) -> None:
    if is_station():
        outbox_add(kind="stock_movement", occurred_at=movement.at, payload={
            "office_code": movement.office.code, "item": movement.item,
            "earmark": movement.earmark, "kind": movement.kind, "quantity": movement.quantity,
            "reference": movement.reference, "movement_id": movement.pk,
            "idempotency_key": movement.idempotency_key or "", "note": movement.note,
            # A transfer names the other office; a blank taken names its serial in the note.
            "counterpart": movement.counterpart.code if movement.counterpart_id else ""})


def certificate_packet(*, certificate) -> None:
    """The Suket as a packet, with the public key that signed its QR so central can verify
    papers this station issued."""
    from ektp.issuance.models import SigningKey

    if is_station():
        signing_key = SigningKey.objects.filter(key_id=certificate.key_id).values_list(
            "public_pem", flat=True).first() or ""
        outbox_add(kind="certificate", payload={
            "number": certificate.number, "application": application_ref(certificate.application),
            "office_code": certificate.office.code, "issued_on": certificate.issued_on.isoformat(),
            "valid_until": certificate.valid_until.isoformat(), "qr_text": certificate.qr_text,
            "signing_key": signing_key})
