"""A station and its central in one test process.

The two sides live in one test database (their tables differ). Central's side of every
request runs with ``EKTP_ROLE=central`` behind the same transport interface the station uses
over HTTP, so the protocol is the real one: signed requests, signed answers, real ingest.
Enrollment packets are made by the real hook from a recording's data (``enrollment_packet``),
not by recording locally, since a local recording would already sit in the shared tables."""

import json
from types import SimpleNamespace

import numpy as np
from django.test import override_settings
from django.utils import timezone

from ektp.enrollment.tests.factories import CaptureFactory, PersonFactory
from ektp.stations import keys, outbox, packets
from ektp.stations.models import OutboxPacket
from ektp.stations.registration import station_identity_register
from ektp.stations.transport import DjangoClientTransport, Response

STATION = "KPG-ALAK-01"
PASSWORD = "rahasia-kupang-2026"


class CentralInProcess(DjangoClientTransport):
    """Central answering in this process (its role switched on for the request)."""

    def post(self, path, body, headers) -> Response:
        with override_settings(EKTP_ROLE="central"):
            return super().post(path, body, headers)


class FaultyTransport:
    """Wraps a transport and damages traffic on command: ``plan`` is a list of faults used
    one per request ("ok", "drop_answer", "truncate", "corrupt", "duplicate", "reorder",
    "down")."""

    def __init__(self, inner, plan):
        self.inner, self.plan, self.base_url = inner, list(plan), inner.base_url
        self.seen = []

    def post(self, path, body, headers) -> Response:
        fault = self.plan.pop(0) if self.plan else "ok"
        self.seen.append(fault)
        if fault == "down":
            from ektp.stations.transport import SyncUnavailable

            raise SyncUnavailable("network down", code="central_unreachable")
        if fault == "truncate":
            body = body[: len(body) // 2]
        if fault == "corrupt":
            body = body.replace(b'"seq":', b'"seq":1', 1)
        if fault in ("duplicate", "reorder") and b'"packets"' in body:
            body, headers = _shuffled(path, body, headers, fault)
        answer = self.inner.post(path, body, headers)
        if fault == "drop_answer":  # central did the work, the answer never came back
            from ektp.stations.transport import SyncUnavailable

            raise SyncUnavailable("connection reset", code="central_unreachable")
        return answer


def _shuffled(path: str, body: bytes, headers: dict, fault: str) -> tuple[bytes, dict]:
    """The same batch with its packets repeated or reversed, signed again with the station's
    key (a relay that could sign is the worst case: every packet still checks on its own)."""
    data = json.loads(body)
    batch = data["packets"]
    data["packets"] = batch + batch if fault == "duplicate" else batch[::-1]
    body = packets.canonical(data)
    signature = packets.sign_message(keys.station_private_key(), packets.REQUEST_DOMAIN, path,
                                     body)
    return body, {**headers, "X-Ektp-Signature": signature}


def register_station(admin, *, code: str = STATION, office_code: str) -> object:
    with override_settings(EKTP_ROLE="station"):
        return station_identity_register(
            transport=CentralInProcess(), code=code, office_code=office_code,
            username=admin.username, password=PASSWORD)


def enrollment_packet(resident=None, *, sequence: int, captured_at=None) -> OutboxPacket:
    """What the enrollment hook puts in the outbox for a recording of ``resident``."""
    resident = resident or PersonFactory()
    capture = CaptureFactory(resident_id=resident.pk, station_code=STATION, sequence=sequence,
                             captured_at=captured_at or timezone.now())
    capture.checked_fingers = {p: np.asarray(v) for p, v in capture.fingerprints.items()}
    enrollment = SimpleNamespace(resident=resident, station_code=STATION, sequence=sequence,
                                 captured_at=capture.captured_at)
    with override_settings(EKTP_ROLE="station"):
        outbox.enrollment_packet(enrollment=enrollment, capture=capture)
    return OutboxPacket.objects.order_by("-sequence").first()


def envelope_of(packet: OutboxPacket) -> dict:
    return json.loads(packet.envelope)


def station_for_tests(settings, key_dir) -> object:
    """A registered station for other apps' tests: keys under ``key_dir``, central's keys
    pinned directly (no registration round trip)."""
    from ektp.stations.models import StationIdentity

    settings.EKTP_STATION_KEY_FILE = str(key_dir / "station.pem")
    settings.EKTP_CENTRAL_KEY_FILE = str(key_dir / "central.pem")
    settings.EKTP_CENTRAL_BOX_KEY_FILE = str(key_dir / "central-box.pem")
    central = keys.central_public_keys()
    return StationIdentity.objects.create(
        pk=1, code=STATION, office_code="DINAS-5371", central_url="http://testserver",
        central_station_id=1, central_sign_key=central["central_sign_key"],
        central_box_key=central["central_box_key"], registered_at=timezone.now())
