from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PrintJob(models.Model):
    """One card printed (or spoiled) for one print-ready record on one blank."""

    region_path = "office__region__code"

    class Status(models.TextChoices):
        PRINTING = "printing", _("Sedang dicetak")
        PRINTED = "printed", _("Tercetak")
        SPOILED = "spoiled", _("Rusak")

    application = models.ForeignKey("issuance.Application", on_delete=models.PROTECT,
                                    related_name="print_jobs")
    office = models.ForeignKey("devices.Office", on_delete=models.PROTECT, related_name="+")
    printer = models.ForeignKey("devices.Device", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                 related_name="+")
    blank_serial = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PRINTING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    spoil_reason = models.CharField(max_length=16, blank=True)
    batch = models.CharField(max_length=40, blank=True, db_index=True)
    # Set when a replacement card is issued: the old card's number is void from then on.
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # However many operators press "print", one record has at most one live job.
            models.UniqueConstraint(
                fields=["application"], condition=models.Q(status="printing"),
                name="one_live_print_job_per_application"),
        ]

    def __str__(self) -> str:
        return f"{self.blank_serial} {self.status}"


class Handover(models.Model):
    """The 1:1 check of the holder against the enrolled template before the card is handed
    over; a failed check is kept too (who tried, when, the score)."""

    region_path = "application__resident__family__village__code"

    application = models.ForeignKey("issuance.Application", on_delete=models.PROTECT,
                                    related_name="handovers")
    at = models.DateTimeField()
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                 related_name="+")
    modality = models.CharField(max_length=6)
    score = models.FloatField()
    matched = models.BooleanField()

    def __str__(self) -> str:
        return f"{self.application_id} {'ok' if self.matched else 'gagal'}"


class Drive(models.Model):
    """A planned printing push (Depok's: 50,000 cards in two days at 63 kelurahan and the
    Dinas): a window, the print points taking part with a target each, and the minutes without
    a print after which a point with work waiting counts as stalled."""

    region_path = "region__code"

    name = models.CharField(_("nama kegiatan"), max_length=120)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    stall_minutes = models.PositiveSmallIntegerField(default=30)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("kegiatan cetak massal")
        verbose_name_plural = _("kegiatan cetak massal")
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="drive_ends_after_start")]

    def __str__(self) -> str:
        return self.name


class DrivePoint(models.Model):
    """A print point in a drive: its target, and the blank request sent up for it."""

    region_path = "office__region__code"

    drive = models.ForeignKey(Drive, on_delete=models.PROTECT, related_name="points")
    office = models.ForeignKey("devices.Office", on_delete=models.PROTECT, related_name="+")
    target = models.PositiveIntegerField()
    stock_request = models.ForeignKey("supplies.StockRequest", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["drive_id", "office__code"]
        constraints = [models.UniqueConstraint(fields=["drive", "office"],
                                               name="one_point_per_office_per_drive")]

    def __str__(self) -> str:
        return f"{self.drive_id} {self.office_id}: {self.target}"


class DriveSupply(models.Model):
    """Blanks sent to a point for a drive: the ledger row of the supplies app that booked them
    (an allocation received against the point's request, or a transfer from another office)."""

    region_path = "point__office__region__code"

    point = models.ForeignKey(DrivePoint, on_delete=models.PROTECT, related_name="supplies")
    movement = models.OneToOneField("supplies.StockMovement", on_delete=models.PROTECT,
                                    related_name="+")
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.point_id} +{self.quantity}"
