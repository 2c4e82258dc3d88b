from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """One Kemendagri region: provinsi, kabupaten/kota, kecamatan/distrik, desa/kelurahan.

    The dotted code is the key, so region paths are prefixes: everything in Kota Kupang has
    a code starting with "53.71".
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Provinsi")
        REGENCY = 2, _("Kabupaten/Kota")
        DISTRICT = 3, _("Kecamatan")
        VILLAGE = 4, _("Desa/Kelurahan")

    code = models.CharField(max_length=13, primary_key=True)
    name = models.CharField(max_length=100, db_index=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    kind = models.CharField(max_length=12)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    postal_code = models.CharField(max_length=5, blank=True)
    edition = models.CharField(max_length=60)

    class Meta:
        ordering = ["code"]
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def compact_code(self) -> str:
        return self.code.replace(".", "")
