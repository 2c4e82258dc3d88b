from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ektp.issuance.choices import ApplicationKind, Status


class Application(models.Model):
    """A permohonan KTP-el and where it stands in the pipeline."""

    region_path = "resident__family__village__code"

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="applications"
    )
    kind = models.CharField(max_length=12, choices=ApplicationKind.choices)
    status = models.CharField(max_length=26, choices=Status.choices, db_index=True)
    enrollment = models.ForeignKey(
        "enrollment.Enrollment", null=True, blank=True, on_delete=models.PROTECT,
        related_name="applications",
    )
    police_letter_ref = models.CharField(_("surat kehilangan Polri"), max_length=100, blank=True)
    document_ref = models.CharField(_("dokumen pendukung"), max_length=100, blank=True)
    duplicate_kind = models.CharField(max_length=12, blank=True)  # one_to_one | one_to_many
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(db_index=True)
    site = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("permohonan")
        verbose_name_plural = _("permohonan")
        indexes = [models.Index(fields=["status", "status_changed_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.status}"


class ApplicationHistory(models.Model):
    """One status transition: who, when, where and why."""

    region_path = "application__resident__family__village__code"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=26, blank=True)
    to_status = models.CharField(max_length=26)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} -> {self.to_status}"
