"""Central side of the sync protocol: signed requests in, signed answers out.

A request carries ``X-Ektp-Station`` (the code) and ``X-Ektp-Signature`` (Ed25519 of the
path and the body's SHA-256, by the station's key): a batch damaged on the way fails here as a
whole, is kept aside once for review, and the station sends it again. Answers carry
``X-Ektp-Central-Signature`` so the station knows they come from the central it pinned."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.accounts.scoping import region_filter
from ektp.issuance import rules
from ektp.issuance.models import Application
from ektp.printing.card import card_to_dict
from ektp.printing.selectors import card_data, issue_place
from ektp.stations import keys, leases, packets
from ektp.stations.ingest import packet_ingest, reject_keep
from ektp.stations.models import Station, SyncConflict
from ektp.stations.reference import changed_filter, residents_page

MAX_BATCH = 200
STATUS_PAGE = 500
PREFETCH_PAGE = 100  # each record carries its photo and signature
MAX_HELD = 5000


class RequestRefused(Exception):
    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def authenticate(path: str, body: bytes, headers) -> tuple[Station, dict]:
    """The signing station and the decoded body; RequestRefused otherwise (kept aside)."""
    code = str(headers.get("X-Ektp-Station", ""))[:40]
    station = Station.objects.select_related("office").filter(code=code, active=True).first()
    if station is None:
        reject_keep(code=packets.UNKNOWN_STATION, reason="sync request of an unknown station",
                    station_code=code, raw=body[:4096].decode("utf-8", "replace"))
        raise RequestRefused(401, packets.UNKNOWN_STATION, _("Stasiun tidak dikenal"))
    try:
        packets.verify_message(packets.ed25519_public(station.public_key),
                               packets.REQUEST_DOMAIN, path, body,
                               str(headers.get("X-Ektp-Signature", "")))
        data = packets.decode(body)
    except packets.PacketError as error:
        reject_keep(code=error.code, reason=f"sync request: {error.message}", station=station,
                    raw=body[:4096].decode("utf-8", "replace"))
        raise RequestRefused(400 if error.code == packets.MALFORMED else 401, error.code,
                             error.message) from error
    if not isinstance(data, dict):
        raise RequestRefused(400, packets.MALFORMED, _("Permintaan bukan objek JSON"))
    _refuse_replay(station, data.get("request"))
    return station, data


def _refuse_replay(station: Station, number) -> None:
    """A signed request is good once: its number must be above every number seen from the
    station (a copy replayed from the line could otherwise fetch card data again)."""
    if isinstance(number, bool) or not isinstance(number, int) \
            or not 1 <= number <= packets.MAX_SEQUENCE:
        raise RequestRefused(400, packets.MALFORMED, _("Nomor permintaan tidak sah"))
    if Station.objects.filter(pk=station.pk, last_request__lt=number).update(
            last_request=number) != 1:
        raise RequestRefused(409, "request_replayed",
                             _("Permintaan ini sudah pernah diterima (diputar ulang)"))


def signed_answer(path: str, data: dict) -> tuple[bytes, dict]:
    body = packets.canonical(data)
    signature = packets.sign_message(keys.central_private_key(), packets.RESPONSE_DOMAIN, path,
                                     body)
    return body, {"X-Ektp-Central-Signature": signature}


def _clock_offset(data: dict) -> float | None:
    try:
        return (packets.parse_utc(str(data.get("clock"))) - timezone.now()).total_seconds()
    except packets.PacketError:
        return None


def _note_contact(station: Station, data: dict, offset: float | None) -> None:
    summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    oldest = summary.get("oldest_unsynced_at")
    try:
        oldest = packets.parse_utc(oldest) if oldest else None
    except packets.PacketError:
        oldest = None
    queue = summary.get("queue_length")
    Station.objects.filter(pk=station.pk).update(
        last_contact_at=timezone.now(), clock_offset_seconds=offset or 0.0,
        queue_length=queue if isinstance(queue, int) and queue >= 0 else 0,
        oldest_unsynced_at=oldest)


def handle_push(station: Station, data: dict) -> dict:
    batch = data.get("packets")
    if not isinstance(batch, list) or len(batch) > MAX_BATCH:
        raise RequestRefused(400, packets.MALFORMED,
                             _("Paket: daftar berisi paling banyak %(n)d") % {"n": MAX_BATCH})
    offset = _clock_offset(data)
    # In the station's order, whatever the line did to the batch: a spoiled card after the
    # blank it used, a print after the blank it took.
    results = [packet_ingest(envelope=envelope, sender=station, clock_offset=offset).as_dict()
               for envelope in sorted(batch, key=_sequence_of)]
    _note_contact(station, data, offset)
    return {"results": results, "central_clock": packets.utc_text(timezone.now())}


def _sequence_of(envelope) -> int:
    body = envelope.get("body") if isinstance(envelope, dict) else None
    seq = body.get("seq") if isinstance(body, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else 0


# --- pull -------------------------------------------------------------------------------------


def _statuses(station: Station, cursor: str) -> tuple[list, str]:
    rows = list(Application.objects.filter(enrollment__station_code=station.code)
                .filter(changed_filter(cursor, "status_changed_at"))
                .order_by("status_changed_at", "pk")
                .values("pk", "status", "status_changed_at", "enrollment__sequence")
                [:STATUS_PAGE])
    changes = [{"central_id": row["pk"], "station": station.code,
                "sequence": row["enrollment__sequence"], "status": row["status"],
                "changed_at": packets.utc_text(row["status_changed_at"])} for row in rows]
    if rows:
        cursor = f"{changes[-1]['changed_at']}|{rows[-1]['pk']}"
    return changes, cursor


def _held(data: dict) -> list[int]:
    held = data.get("held")
    if not isinstance(held, list):
        return []
    return [value for value in held[:MAX_HELD] if isinstance(value, int)]


def _withdrawn(station: Station, held: list[int]) -> list[dict]:
    """Held records no longer printable there: moved on at central, or held by another print
    point since this station's lease lapsed."""
    current = dict(Application.objects.filter(pk__in=held).values_list("pk", "status"))
    lost = leases.leases_lost(station, held)
    return [{"central_id": pk, "status": leases.LOST if pk in lost else current.get(pk, "")}
            for pk in held if current.get(pk) != rules.S_PRR or pk in lost]


def card_for_print_point(application: Application, office) -> dict:
    """Everything the print point needs to print the card offline (photo and signature
    included; the station keeps it sealed at rest), plus the kind for the blank's earmark."""
    card = card_data(application, issue_place=issue_place(office))
    return {**card_to_dict(card), "kind": application.kind}


def _prefetch(station: Station, held: list[int]) -> list[dict]:
    """Print-ready records of the print point's area not leased to another station; each is
    leased to this one (unique per record, so of two stations asking at once one gets it)."""
    office = station.office
    if not office.prints_cards:
        return []
    lapsed = timezone.now() - timedelta(days=settings.EKTP_PREFETCH_LEASE_DAYS)
    candidates = list(
        Application.objects.filter(status=rules.S_PRR)
        .filter(region_filter("resident__family__village__code", office.region_id))
        .filter(Q(prefetch_lease__isnull=True) | Q(prefetch_lease__station=station)
                | Q(prefetch_lease__leased_at__lt=lapsed))
        .exclude(pk__in=held).order_by("pk").values_list("pk", flat=True)[:PREFETCH_PAGE])
    leases.leases_take(station, candidates)
    due = (Application.objects.filter(pk__in=candidates, prefetch_lease__station=station)
           .select_related("resident__family", "enrollment").order_by("pk"))
    return [{"central_id": app.pk, "village": app.resident.family.village_id,
             "card": card_for_print_point(app, office)} for app in due]


def handle_pull(station: Station, data: dict) -> dict:
    """What is due to the station: status changes of its recordings, conflicts of its
    packets, which held print-ready records were withdrawn, new ones to prefetch, limits."""
    from ektp.stations.outbox import guard_limits

    offset = _clock_offset(data)
    _note_contact(station, data, offset)
    statuses, cursor = _statuses(station, str(data.get("cursor", "")))
    held = _held(data)
    leases.leases_renew(station, held)
    conflicts = SyncConflict.objects.filter(station_code=station.code, resolved_at=None)
    return {
        "statuses": statuses, "cursor": cursor, "withdrawn": _withdrawn(station, held),
        "prefetch": _prefetch(station, held) if data.get("prefetch") else [],
        "conflicts": [{"packet_id": str(c.packet_id), "code": c.code,
                       "application_ref": c.application_ref, "central_status": c.central_status,
                       "detail": c.detail, "at": packets.utc_text(c.at)}
                      for c in conflicts.order_by("at")[:500]],
        "settings": {"limits": guard_limits(), "central_clock": packets.utc_text(timezone.now())},
        **residents_page(station, str(data.get("residents_cursor", ""))),
    }
