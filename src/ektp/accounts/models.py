from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from ektp.accounts import rules


class Role(models.TextChoices):
    RECORDING_OPERATOR = rules.RECORDING_OPERATOR, _("Operator perekaman")
    PRINT_OPERATOR = rules.PRINT_OPERATOR, _("Operator cetak")
    SUPERVISOR = rules.SUPERVISOR, _("Supervisor / adjudikator")
    STOCK_KEEPER = rules.STOCK_KEEPER, _("Pengelola blangko")
    HEAD_OF_OFFICE = rules.HEAD_OF_OFFICE, _("Kepala dinas")
    CENTRAL_ADMIN = rules.CENTRAL_ADMIN, _("Administrator pusat")
    FIELD_OFFICER = rules.FIELD_OFFICER, _("Petugas lapangan")


class User(AbstractUser):
    """An operator. ``region`` bounds what they see: a kecamatan, kabupaten/kota or province;
    empty only for central administrators (the whole country)."""

    role = models.CharField(max_length=24, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
