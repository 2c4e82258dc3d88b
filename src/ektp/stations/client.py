"""Station side of the sync: push the outbox in batches, then pull what is due.

A packet leaves the outbox only when central's signed answer acknowledges it (accepted or
already received). If the answer is lost, the packet is sent again and central answers
"duplicate": stored once either way."""

import json
import random
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.errors import DomainError
from ektp.stations import keys, packets
from ektp.stations.models import OutboxPacket, PrefetchedRecord, StationIdentity
from ektp.stations.outbox import identity, outbox_summary
from ektp.stations.reference import residents_apply
from ektp.stations.station_pull import pull_apply
from ektp.stations.transport import SyncUnavailable, Transport, error_of

ACKED = frozenset({"accepted", "duplicate"})
MAX_PULL_PAGES = 400  # 200,000 residents of an area at 500 a page


@dataclass
class SyncReport:
    sent: int = 0
    acknowledged: int = 0
    duplicates: int = 0
    rejected: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    pulled: dict = field(default_factory=dict)


def _summary_text(summary: dict) -> dict:
    oldest = summary["oldest_unsynced_at"]
    return {"queue_length": summary["queue_length"],
            "oldest_unsynced_at": packets.utc_text(oldest) if oldest else ""}


class SyncClient:
    def __init__(self, transport: Transport, *, batch_size: int | None = None, clock=None):
        self.transport = transport
        self.batch_size = batch_size or getattr(settings, "EKTP_SYNC_BATCH", 50)
        self.clock = clock or timezone.now  # the station's own clock (may be hours off)

    def _call(self, path: str, data: dict) -> dict:
        station = identity()
        body = packets.canonical({"station": station.code, "request": _next_request_number(),
                                  "clock": packets.utc_text(self.clock()),
                                  "summary": _summary_text(outbox_summary()), **data})
        signature = packets.sign_message(keys.station_private_key(), packets.REQUEST_DOMAIN,
                                         path, body)
        response = self.transport.post(path, body, {"X-Ektp-Station": station.code,
                                                    "X-Ektp-Signature": signature})
        if response.status != 200:
            code, detail = error_of(response)
            raise SyncUnavailable(_("Server pusat menolak (%(s)d %(c)s): %(d)s")
                                  % {"s": response.status, "c": code, "d": detail[:200]})
        return self._verified(path, response)

    def _verified(self, path: str, response) -> dict:
        station = identity()
        headers = {key.lower(): value for key, value in response.headers.items()}
        try:
            packets.verify_message(packets.ed25519_public(station.central_sign_key),
                                   packets.RESPONSE_DOMAIN, path, response.body,
                                   headers.get("x-ektp-central-signature", ""))
            data = packets.decode(response.body)
        except packets.PacketError as exc:
            raise SyncUnavailable(_("Jawaban server pusat tidak sah atau rusak"),
                                  code="central_answer_invalid") from exc
        if not isinstance(data, dict):
            raise SyncUnavailable(_("Jawaban server pusat tidak sah atau rusak"),
                                  code="central_answer_invalid")
        return data

    def push_batch(self, report: SyncReport) -> int:
        batch = list(OutboxPacket.objects.filter(state=OutboxPacket.State.PENDING)
                     .order_by("sequence")[:self.batch_size])
        if not batch:
            return 0
        OutboxPacket.objects.filter(pk__in=[p.pk for p in batch]).update(
            attempts=F("attempts") + 1)
        answer = self._call("/api/stations/sync/push",
                            {"packets": [json.loads(p.envelope) for p in batch]})
        acknowledge(answer.get("results"), {str(p.packet_id) for p in batch}, report)
        report.sent += len(batch)
        return len(batch)

    def push(self, report: SyncReport) -> None:
        # Stop at a short batch, or when a batch was answered without any progress.
        while True:
            before = report.acknowledged + len(report.rejected)
            if self.push_batch(report) < self.batch_size:
                return
            if report.acknowledged + len(report.rejected) == before:
                raise SyncUnavailable(_("Server pusat tidak mengakui paket yang dikirim"),
                                      code="central_no_progress")

    def pull(self, report: SyncReport) -> None:
        """Pull until nothing more is due (a new station catches up on its area's residents
        page by page), within a bound so one sync cannot run forever."""
        for _page in range(MAX_PULL_PAGES):
            answer = self._pull_page()
            counts = pull_apply(answer)
            rows = answer.get("residents")
            counts["residents"] = residents_apply(rows if isinstance(rows, list) else [],
                                                  answer.get("residents_cursor"))
            report.pulled = {key: report.pulled.get(key, 0) + value
                             for key, value in counts.items()}
            # Every conflict of this station still open at central (this push's included).
            report.conflicts = answer.get("conflicts") or report.conflicts
            if answer.get("residents_more") is not True:
                return

    def _pull_page(self) -> dict:
        station = identity()
        held = list(PrefetchedRecord.objects.exclude(state=PrefetchedRecord.State.WITHDRAWN)
                    .order_by("-central_application_id")
                    .values_list("central_application_id", flat=True)[:5000])
        return self._call("/api/stations/sync/pull", {
            "cursor": station.status_cursor, "residents_cursor": station.residents_cursor,
            "held": held, "prefetch": bool(getattr(settings, "EKTP_STATION_PREFETCH", True))})

    def sync(self) -> SyncReport:
        """Push everything, then pull; the station's last sync time moves only on success."""
        report = SyncReport()
        StationIdentity.objects.filter(pk=1).update(last_attempt_at=timezone.now())
        try:
            self.push(report)
            self.pull(report)
        except DomainError as error:
            StationIdentity.objects.filter(pk=1).update(last_error=error.message[:300])
            raise
        StationIdentity.objects.filter(pk=1).update(last_sync_at=timezone.now(), last_error="")
        return report


def _next_request_number() -> int:
    StationIdentity.objects.filter(pk=1).update(request_counter=F("request_counter") + 1)
    return StationIdentity.objects.values_list("request_counter", flat=True).get(pk=1)


def acknowledge(results, sent_ids: set[str], report: SyncReport) -> None:
    if not isinstance(results, list):
        raise SyncUnavailable(_("Jawaban server pusat tidak lengkap"),
                              code="central_answer_invalid")
    with transaction.atomic():
        for result in results:
            if not isinstance(result, dict) or result.get("id") not in sent_ids:
                continue
            sent_ids = sent_ids - {result["id"]}  # one answer per packet counts
            status = result.get("status")
            if status in ACKED:
                OutboxPacket.objects.filter(packet_id=result["id"]).delete()
                report.acknowledged += 1
                report.duplicates += status == "duplicate"
            elif status == "rejected":
                OutboxPacket.objects.filter(packet_id=result["id"]).update(
                    state=OutboxPacket.State.REJECTED, reject_code=str(result.get("code"))[:40])
                report.rejected.append(result)
            if result.get("conflict"):
                report.conflicts.append({"packet_id": result["id"], "code": result["conflict"]})


def backoff_delay(failures: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**failures)]."""
    return rng.uniform(0, min(cap, base * 2 ** min(failures, 30)))


def sync_loop(make_client, *, interval: float, cap: float, rounds: int | None = None,
              sleep=time.sleep, rng: random.Random | None = None, log=print) -> int:
    """Sync every ``interval`` seconds; after a failure wait with backoff and jitter. Runs
    ``rounds`` times (forever if None); returns the number of failed rounds."""
    rng = rng or random.Random()
    failures = total_failures = done = 0
    while rounds is None or done < rounds:
        done += 1
        try:
            report = make_client().sync()
            failures = 0
            log(_("sinkron: %(a)d paket diterima pusat") % {"a": report.acknowledged})
            delay = interval
        except DomainError as error:
            failures += 1
            total_failures += 1
            delay = backoff_delay(failures, base=interval, cap=cap, rng=rng)
            log(_("sinkron gagal (%(c)s): %(m)s; coba lagi dalam %(d).0f detik")
                % {"c": error.code, "m": error.message, "d": delay})
        if rounds is None or done < rounds:
            sleep(delay)
    return total_failures
