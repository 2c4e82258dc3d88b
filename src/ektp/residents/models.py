from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ektp.residents import reference


class Citizenship(models.TextChoices):
    WNI = "WNI", "WNI"
    WNA = "WNA", "WNA"


class Family(models.Model):
    """A Kartu Keluarga: its number, and the address every member shares."""

    region_path = "village__code"

    kk_number = models.CharField(max_length=16, unique=True)
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("alamat"), max_length=120)
    rt = models.CharField(max_length=3)
    rw = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("keluarga (KK)")
        verbose_name_plural = _("keluarga (KK)")

    def __str__(self) -> str:
        return f"KK {self.kk_number}"


class Resident(models.Model):
    """A penduduk with every element printed on the card (domain.md §2.1)."""

    region_path = "family__village__code"

    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktif")
        DECEASED = "deceased", _("Meninggal")

    nik = models.CharField(max_length=16, unique=True)
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="members")
    relationship = models.PositiveSmallIntegerField(_("hubungan keluarga"), choices=reference.SHDK)
    name = models.CharField(_("nama"), max_length=255, db_index=True)
    birth_place = models.CharField(_("tempat lahir"), max_length=60)
    birth_date = models.DateField(_("tanggal lahir"), db_index=True)
    sex = models.PositiveSmallIntegerField(_("jenis kelamin"), choices=reference.JENIS_KELAMIN)
    religion = models.PositiveSmallIntegerField(_("agama"), choices=reference.AGAMA)
    marital_status = models.PositiveSmallIntegerField(
        _("status perkawinan"), choices=reference.STATUS_PERKAWINAN
    )
    blood_type = models.PositiveSmallIntegerField(
        _("golongan darah"), choices=reference.GOLONGAN_DARAH, default=13
    )
    occupation = models.PositiveSmallIntegerField(_("pekerjaan"), choices=reference.PEKERJAAN)
    citizenship = models.CharField(max_length=3, choices=Citizenship.choices, default="WNI")
    nationality = models.CharField(_("negara (WNA)"), max_length=60, blank=True)
    kitap_expiry = models.DateField(_("masa berlaku KITAP"), null=True, blank=True)
    mother_name = models.CharField(_("nama ibu"), max_length=255, blank=True)
    father_name = models.CharField(_("nama ayah"), max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    died_on = models.DateField(null=True, blank=True)
    nik_warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("penduduk")
        verbose_name_plural = _("penduduk")

    def __str__(self) -> str:
        from ektp.residents.rules import mask_nik

        return f"{mask_nik(self.nik)} {self.name}"


class ResidentEvent(models.Model):
    """A life event or data change, with what changed and the supporting document."""

    region_path = "resident__family__village__code"

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Terdaftar")
        MOVED = "moved", _("Pindah datang")
        DIED = "died", _("Meninggal")
        DATA_CHANGED = "data_changed", _("Perubahan data")

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.CharField(max_length=40, blank=True)
    changes = models.JSONField(default=dict, blank=True)  # {field: [old, new]}
    document_type = models.CharField(max_length=40, blank=True)
    document_ref = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.kind}"
