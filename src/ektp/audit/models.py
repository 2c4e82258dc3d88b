from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only")

    def delete(self):
        raise PermissionError("The audit log is append-only")


class AuditEvent(models.Model):
    """Who read, changed, exported or printed which NIK, when, from where, and why (UU 27/2022
    Pasal 31). Rows are only ever added. The NIK is kept whole so a resident's request for their
    processing trail (Pasal 32) can be answered; it is shown masked everywhere."""

    class Action(models.TextChoices):
        READ = "read", _("Baca")
        CREATE = "create", _("Buat")
        CHANGE = "change", _("Ubah")
        EXPORT = "export", _("Ekspor")
        PRINT = "print", _("Cetak")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    nik = models.CharField(max_length=16, blank=True, db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    site = models.CharField(max_length=40, blank=True)
    purpose = models.CharField(max_length=200, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.nik_masked}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only")

    @property
    def nik_masked(self) -> str:
        from ektp.residents.rules import mask_nik

        return mask_nik(self.nik) if self.nik else ""
