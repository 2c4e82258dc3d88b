"""Applying an accepted packet at central, through the existing services."""

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.utils.translation import gettext as _

from ektp.devices.models import Office
from ektp.enrollment.services import Capture, enrollment_record
from ektp.errors import DomainError
from ektp.issuance import rules
from ektp.issuance.models import Application
from ektp.issuance.services import application_transition
from ektp.issuance.suket_services import certificate_mirror, signing_key_trust
from ektp.residents.models import Resident
from ektp.stations import keys, packets
from ektp.supplies.models import Earmark
from ektp.supplies.services import station_movement_mirror, station_spoil_mirror

APPLIED, CONFLICT, NOT_APPLIED = "applied", "conflict", "not_applied"
PRINTED_STATUSES = frozenset({rules.S_SFP, rules.S_PRINTED, rules.S_SHIPPED, rules.S_ISSUED})


@dataclass
class Applied:
    outcome: str
    code: str = ""
    detail: str = ""
    conflict: str = ""
    ref: str = ""
    central_status: str = ""


def _secret(body: dict) -> dict:
    blob = packets.unb64(body["sealed"]) if body["sealed"] else b""
    data = packets.decode(packets.open_sealed(keys.central_box_private_key(), blob,
                                              associated_data=packets.sealed_aad(body)))
    if not isinstance(data, dict):
        raise packets.PacketError(packets.MALFORMED, "the sealed part is not an object")
    return data


def _floats(text: str) -> np.ndarray:
    return np.frombuffer(packets.unb64(text), dtype="<f4").astype(np.float32)


def _capture(station, payload: dict, secret: dict, at, resident: Resident) -> Capture:
    try:
        return Capture(
            resident_id=resident.pk, station_code=station.code, sequence=int(payload["sequence"]),
            captured_at=at, biodata_confirmed=payload["biodata_confirmed"] is True,
            photo=packets.unb64(secret["photo"]), signature=packets.unb64(secret["signature"]),
            fingerprints={int(pos): _floats(vec).tolist()
                          for pos, vec in secret["fingers"].items()},
            face_template=_floats(secret["face"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise packets.PacketError(packets.MALFORMED, "the recording is incomplete") from exc


def apply_enrollment(station, body: dict, at) -> Applied:
    """The recording as if taken at central: enrollment, application (received at central)
    and penunggalan queued."""
    payload = body["payload"]
    if payload.get("station_code") != station.code:
        raise DomainError(_("Rekaman atas nama stasiun lain"), code="station_code_mismatch")
    resident = Resident.objects.filter(nik=str(payload.get("nik", ""))).first()
    if resident is None:
        raise DomainError(_("Penduduk tidak dikenal di pusat"), code="resident_unknown")
    capture = _capture(station, payload, _secret(body), at, resident)
    enrollment = enrollment_record(actor=None, capture=capture)
    return Applied(APPLIED, "enrollment_recorded", enrollment.enrollment_id)


def find_application(ref) -> Application | None:
    if not isinstance(ref, dict):
        return None
    applications = Application.objects.select_related("resident")
    if isinstance(ref.get("central_id"), int):
        return applications.filter(pk=ref["central_id"]).first()
    if isinstance(ref.get("sequence"), int) and isinstance(ref.get("station"), str):
        return applications.filter(enrollment__station_code=ref["station"],
                                   enrollment__sequence=ref["sequence"]).order_by("-pk").first()
    return None


def _print_conflict(application: Application) -> str:
    if application.status == rules.S_DUP:
        return "duplicate_printed"
    if application.status in PRINTED_STATUSES:
        return "printed_twice"
    return "not_print_ready"


def apply_print_result(station, body: dict, at) -> Applied:
    """A card printed at the station: PRR -> sent for printing -> printed. A record central
    meanwhile found duplicate, printed elsewhere or withdrew is a conflict, raised for review
    and answered to the station at this sync."""
    payload = body["payload"]
    application = find_application(payload.get("application"))
    if application is None:
        raise DomainError(_("Permohonan tidak dikenal di pusat"), code="application_unknown")
    ref = f"#{application.pk}"
    if application.status != rules.S_PRR:
        conflict = _print_conflict(application)
        return Applied(CONFLICT, conflict, _("Dicetak di stasiun %(s)s, di pusat berstatus %(c)s")
                       % {"s": station.code, "c": application.status}, conflict, ref,
                       application.status)
    reason = f"dicetak di stasiun {station.code}, blangko {payload.get('blank_serial', '')}"[:300]
    application_transition(actor=None, application_id=application.pk, to_status=rules.S_SFP,
                           expected_status=rules.S_PRR, reason=reason)
    application_transition(actor=None, application_id=application.pk,
                           to_status=rules.S_PRINTED, reason=reason)
    return Applied(APPLIED, "card_printed", "", ref=ref)


def _station_office(station, payload: dict):
    """Stock and certificates a station books are its own office's, never another's."""
    if payload.get("office_code") != station.office.code:
        raise DomainError(_("Paket untuk kantor lain (%(o)s), bukan kantor stasiun %(s)s")
                          % {"o": str(payload.get("office_code"))[:24], "s": station.code},
                          code="office_mismatch")
    return station.office


def _text(payload: dict, name: str) -> str:
    value = payload.get(name, "")
    return value if isinstance(value, str) else ""


def apply_stock_movement(station, body: dict, at) -> Applied:
    """A stock movement of the station's office booked in central's ledger, once per packet
    (keyed by the packet id, so also never twice outside the packet register)."""
    payload = body["payload"]
    office = _station_office(station, payload)
    counterpart = _text(payload, "counterpart")
    counterpart_id = Office.objects.filter(code=counterpart).values_list(
        "pk", flat=True).first() if counterpart else None
    movement = station_movement_mirror(
        office_id=office.pk, item=payload.get("item"),
        earmark=payload.get("earmark", Earmark.GENERAL), kind=payload.get("kind"),
        quantity=payload.get("quantity"), at=at, key=f"station:{body['id']}",
        reference=f"stasiun {station.code}: {_text(payload, 'reference')}",
        note=_text(payload, "note"), counterpart_id=counterpart_id)
    return Applied(APPLIED, "stock_booked", f"#{movement.pk}")


def apply_spoiled(station, body: dict, at) -> Applied:
    """A card spoiled at the station: booked invalid at central. Its ledger row comes as its
    own stock movement; the application's status is not touched (no print result was sent)."""
    payload = body["payload"]
    office = _station_office(station, payload)
    card = station_spoil_mirror(office_id=office.pk, serial=_text(payload, "blank_serial"),
                                reason=_text(payload, "reason"))
    return Applied(APPLIED, "card_spoiled", card.serial)


def _dates(payload: dict) -> tuple[date, date]:
    try:
        return (date.fromisoformat(payload["issued_on"]),
                date.fromisoformat(payload["valid_until"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise packets.PacketError(packets.MALFORMED, "the certificate dates are not dates"
                                  ) from exc


def apply_certificate(station, body: dict, at) -> Applied:
    """A Suket issued offline at the station, put in central's register under its number."""
    payload = body["payload"]
    office = _station_office(station, payload)
    application = find_application(payload.get("application"))
    if application is None:
        raise DomainError(_("Permohonan tidak dikenal di pusat"), code="application_unknown")
    issued_on, valid_until = _dates(payload)
    if payload.get("signing_key"):  # the station's own Suket key, vouched for by its packet
        signing_key_trust(str(payload["signing_key"]))
    certificate, created = certificate_mirror(
        application_id=application.pk, office_id=office.pk, number=_text(payload, "number"),
        issued_on=issued_on, valid_until=valid_until, qr_text=_text(payload, "qr_text"),
        station_code=station.code)
    return Applied(APPLIED, "certificate_recorded" if created else "certificate_known",
                   certificate.number, ref=f"#{application.pk}")


APPLIERS = {
    "enrollment": apply_enrollment,
    "print_result": apply_print_result,
    "spoiled": apply_spoiled,
    "stock_movement": apply_stock_movement,
    "certificate": apply_certificate,
}
