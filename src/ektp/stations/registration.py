"""Registering a station, once: the station sends its Ed25519 public key, central stores the
station and answers with its own public keys, which the station pins."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, region_allowed
from ektp.devices.models import Office
from ektp.errors import Conflict, DomainError, NotFound, PermissionDenied
from ektp.stations import keys, packets
from ektp.stations.models import Station, StationIdentity
from ektp.stations.transport import Transport, basic_auth, call_json


def _check_public_key(public_key: str) -> str:
    try:
        packets.ed25519_public(public_key)
    except packets.PacketError as exc:
        raise DomainError(_("Kunci publik stasiun harus Ed25519 (32 byte, base64)"),
                          code="station_key_invalid") from exc
    return public_key


def _office(actor, office_code: str) -> Office:
    office = Office.objects.filter(code=office_code).first()
    if office is None or (actor is not None and not region_allowed(actor, office.region_id)):
        raise NotFound(_("Kantor tidak dikenal"), code="office_unknown")
    return office


def station_register(*, actor, code: str, office_code: str, public_key: str) -> Station:
    """Central: store a station. Registering the same code with the same key again answers
    the existing station; another key under a taken code is refused."""
    if actor is not None and not may(actor, roles.DEVICE_MANAGE):
        raise PermissionDenied(_("Anda tidak boleh mendaftarkan stasiun"), code="forbidden")
    if not packets.STATION_CODE.match(code or ""):
        raise DomainError(_("Kode stasiun: 2-24 karakter A-Z, 0-9, '.', '-'"),
                          code="station_code")
    _check_public_key(public_key)
    office = _office(actor, office_code)
    existing = Station.objects.filter(code=code).first()
    if existing is None:
        try:
            with transaction.atomic():
                return Station.objects.create(
                    code=code, office=office, public_key=public_key, registered_at=timezone.now(),
                    registered_by=actor if actor and actor.is_authenticated else None)
        except IntegrityError:  # registered by a concurrent call: compare with it
            existing = Station.objects.get(code=code)
    if existing.public_key != public_key or existing.office_id != office.pk:
        raise Conflict(_("Kode stasiun ini sudah dipakai stasiun lain"), code="station_code_taken")
    return existing


def central_answer(station: Station) -> dict:
    return {"station_id": station.pk, "code": station.code, "office_code": station.office.code,
            **keys.central_public_keys()}


def _pin(answer: dict, expect_key_id: str) -> None:
    for field in ("central_sign_key", "central_box_key"):
        packets.unb64(str(answer.get(field, "")))
    fingerprint = packets.key_fingerprint(packets.unb64(answer["central_sign_key"]))
    if fingerprint != answer.get("central_key_id") or (
            expect_key_id and fingerprint != expect_key_id.lower()):
        raise Conflict(_("Sidik kunci server pusat tidak sesuai yang diharapkan"),
                       code="central_key_mismatch")


def station_identity_register(*, transport: Transport, code: str, office_code: str,
                              username: str, password: str,
                              expect_key_id: str = "") -> StationIdentity:
    """Station: send our public key to central and pin central's keys. Once per station."""
    if StationIdentity.objects.filter(pk=1).exists():
        raise Conflict(_("Stasiun ini sudah terdaftar"), code="station_already_registered")
    body = packets.canonical({"code": code, "office_code": office_code,
                              "public_key": keys.public_text(keys.station_private_key())})
    answer = call_json(transport, "/api/stations/register", body,
                       basic_auth(username, password), expect=201)
    _pin(answer, expect_key_id)
    return StationIdentity.objects.create(
        pk=1, code=answer["code"], office_code=answer["office_code"],
        central_url=transport.base_url, central_station_id=answer["station_id"],
        central_sign_key=answer["central_sign_key"], central_box_key=answer["central_box_key"],
        registered_at=timezone.now())
