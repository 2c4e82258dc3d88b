from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Office(models.Model):
    """A service point: the Dinas, a kecamatan UPT, a kelurahan print point or a recording
    point. ``region`` is the area it serves (its print queue and its scoping)."""

    region_path = "region__code"

    class Kind(models.TextChoices):
        DINAS = "dinas", _("Dinas Dukcapil")
        UPT = "upt", _("UPT kecamatan")
        KELURAHAN = "kelurahan", _("Kelurahan/desa")
        RECORDING = "recording", _("Titik perekaman")

    code = models.CharField(max_length=24, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    prints_cards = models.BooleanField(default=False)
    records_biometrics = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("kantor")
        verbose_name_plural = _("kantor")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Device(models.Model):
    """A recording kit or a card printer, and its state."""

    region_path = "office__region__code"

    class Kind(models.TextChoices):
        RECORDING_KIT = "recording_kit", _("Alat perekaman")
        CARD_PRINTER = "card_printer", _("Printer kartu")

    class Status(models.TextChoices):
        WORKING = "working", _("Berfungsi")
        DEGRADED = "degraded", _("Terganggu")
        BROKEN = "broken", _("Rusak")
        IN_REPAIR = "in_repair", _("Dalam perbaikan")
        RETIRED = "retired", _("Dihapuskan")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="devices")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    serial_number = models.CharField(max_length=40, unique=True)
    model_name = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WORKING)
    status_changed_at = models.DateTimeField()

    class Meta:
        ordering = ["office_id", "kind", "serial_number"]
        verbose_name = _("perangkat")
        verbose_name_plural = _("perangkat")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial_number}"


class Breakdown(models.Model):
    """A reported fault and, once closed, its repair."""

    region_path = "device__office__region__code"

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="breakdowns")
    reported_at = models.DateTimeField()
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=300)
    degraded_only = models.BooleanField(default=False)
    repair_started_at = models.DateTimeField(null=True, blank=True)
    repaired_at = models.DateTimeField(null=True, blank=True)
    repair_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-reported_at"]
        constraints = [
            # At most one open breakdown per device: a second report refers to the first.
            models.UniqueConstraint(fields=["device"], condition=models.Q(repaired_at=None),
                                    name="one_open_breakdown_per_device"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.reported_at:%Y-%m-%d}"
