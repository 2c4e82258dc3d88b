"""Stations and sync. Station side: its identity (keys pinned at registration), the outbox,
prefetched print-ready records. Central side: registered stations, received packets (once
each), packets kept aside, and conflicts found at sync."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StationIdentity(models.Model):
    """This laptop as a station (one row, pk=1): who it is and which central it trusts."""

    code = models.CharField(max_length=24, unique=True)
    office_code = models.CharField(max_length=24)
    central_url = models.CharField(max_length=300)
    central_station_id = models.PositiveBigIntegerField()
    # Pinned at registration: central's Ed25519 (signs answers) and X25519 (opens biometrics).
    central_sign_key = models.CharField(max_length=64)
    central_box_key = models.CharField(max_length=64)
    registered_at = models.DateTimeField()
    # The last sequence number given to a packet; the next one is +1 (F() update).
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    status_cursor = models.CharField(max_length=80, blank=True)
    residents_cursor = models.CharField(max_length=80, blank=True)
    limits = models.JSONField(default=dict, blank=True)  # guard rails as central last sent them
    # Every request to central carries the next number; central refuses one it has seen.
    request_counter = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("identitas stasiun")

    def __str__(self) -> str:
        return self.code


class OutboxPacket(models.Model):
    """A signed packet waiting for central's acknowledgement (deleted once acknowledged)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Menunggu")
        REJECTED = "rejected", _("Ditolak pusat")

    packet_id = models.UUIDField(unique=True)
    sequence = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=16)
    occurred_at = models.DateTimeField(db_index=True)
    envelope = models.TextField()  # canonical JSON, biometrics already sealed to central
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    reject_code = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind}"


class PrefetchedRecord(models.Model):
    """A print-ready record of the print point's area, fetched to print through an outage.
    The card data is sealed at rest; each record is printed at most once here."""

    class State(models.TextChoices):
        READY = "ready", _("Siap cetak")
        PRINTED = "printed", _("Tercetak")
        WITHDRAWN = "withdrawn", _("Ditarik pusat")

    central_application_id = models.PositiveBigIntegerField(unique=True)
    village_code = models.CharField(max_length=13)
    card_sealed = models.BinaryField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.READY)
    withdrawn_status = models.CharField(max_length=26, blank=True)
    fetched_at = models.DateTimeField()
    printed_at = models.DateTimeField(null=True, blank=True)
    blank_serial = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"PRR {self.central_application_id} {self.state}"


class Station(models.Model):
    """Central's register of stations: code, office and the public key that signs packets."""

    region_path = "office__region__code"

    code = models.CharField(max_length=24, unique=True)
    office = models.ForeignKey("devices.Office", on_delete=models.PROTECT, related_name="+")
    public_key = models.CharField(max_length=64)  # Ed25519, raw 32 bytes in base64
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                      on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    # Station clock minus central clock at the last online sync, in seconds.
    clock_offset_seconds = models.FloatField(default=0)
    queue_length = models.PositiveIntegerField(default=0)  # as the station last reported it
    oldest_unsynced_at = models.DateTimeField(null=True, blank=True)
    # The highest request number seen: a request replayed by someone on the line is refused.
    last_request = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ReceivedPacket(models.Model):
    """A packet central accepted: stored once (unique id, unique station+sequence)."""

    region_path = "station__office__region__code"

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Diterapkan")
        CONFLICT = "conflict", _("Konflik")
        NOT_APPLIED = "not_applied", _("Tidak dapat diterapkan")

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="packets")
    packet_id = models.UUIDField(unique=True)
    sequence = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16)
    hash = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()  # on the station's clock, as sent
    received_at = models.DateTimeField(db_index=True)
    via = models.CharField(max_length=8, default="http")  # http | file
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    outcome_code = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    envelope = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station", "sequence"],
                                    name="received_packet_station_sequence")]

    def __str__(self) -> str:
        return f"{self.station_id}#{self.sequence}"


class RejectedPacket(models.Model):
    """A packet (or a whole batch) refused, kept aside for review with a stable code."""

    class Code(models.TextChoices):
        MALFORMED = "malformed", _("Format rusak")
        WRONG_HASH = "wrong_hash", _("Hash tidak cocok")
        BAD_SIGNATURE = "bad_signature", _("Tanda tangan tidak sah")
        UNKNOWN_STATION = "unknown_station", _("Stasiun tidak dikenal")
        PACKET_ID_REUSED = "packet_id_reused", _("ID paket dipakai untuk isi lain")
        SEQUENCE_REUSED = "sequence_reused", _("Nomor urut dipakai paket lain")

    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="rejects")
    station_code = models.CharField(max_length=40, blank=True)
    packet_id = models.CharField(max_length=40, blank=True)
    code = models.CharField(max_length=20, choices=Code.choices)
    reason = models.CharField(max_length=300)
    via = models.CharField(max_length=8, default="http")
    received_at = models.DateTimeField(db_index=True)
    raw = models.TextField(blank=True)  # at most 64 KiB of what arrived
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.packet_id}"


class SyncConflict(models.Model):
    """Something a station did offline that central had meanwhile made wrong (a duplicate
    printed, a record printed twice). Kept on both sides; resolved by a person."""

    class Code(models.TextChoices):
        DUPLICATE_PRINTED = "duplicate_printed", _("Rekaman ganda tercetak offline")
        PRINTED_TWICE = "printed_twice", _("Rekaman tercetak dua kali")
        NOT_PRINT_READY = "not_print_ready", _("Dicetak padahal bukan PRR")

    station_code = models.CharField(max_length=24, db_index=True)
    packet_id = models.UUIDField()
    code = models.CharField(max_length=20, choices=Code.choices)
    application_ref = models.CharField(max_length=40)
    central_status = models.CharField(max_length=26, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["packet_id", "code"],
                                               name="sync_conflict_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.application_ref}"


class PrefetchLease(models.Model):
    """Central: a print-ready record handed to one print point for offline printing. Another
    station is never given it, so two print points cannot both print it offline."""

    application = models.OneToOneField("issuance.Application", on_delete=models.CASCADE,
                                       related_name="prefetch_lease")
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="leases")
    leased_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.application_id} -> {self.station_id}"
