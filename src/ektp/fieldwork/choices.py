from django.db import models
from django.utils.translation import gettext_lazy as _

from ektp.fieldwork import rules


class Source(models.TextChoices):
    """Where a campaign's list comes from."""

    NOT_RECORDED = rules.NOT_RECORDED, _("Wajib KTP belum rekam")
    FIRST_TIME = rules.FIRST_TIME, _("Pemula: genap 17 tahun dalam N bulan")


class Outcome(models.TextChoices):
    """What the field officer found at the address."""

    PRESENT = rules.PRESENT, _("Ada, diundang rekam")
    MOVED = rules.MOVED, _("Pindah")
    DIED = rules.DIED, _("Meninggal")
    UNKNOWN = rules.UNKNOWN, _("Tidak diketahui")
