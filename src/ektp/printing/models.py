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
