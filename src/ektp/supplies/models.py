"""Blanks, ribbons and films: balances, the append-only ledger, blank serials, requests,
invalid cards and their destruction (domain.md §4).

Ribbons and films are counted in card prints (a roll received adds its yield), so every print
job takes exactly one unit of each; the roll count shown to people is units / yield.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Item(models.TextChoices):
    BLANK = "blank", _("Blangko KTP-el")
    RIBBON = "ribbon", _("Ribbon")
    FILM = "film", _("Film")


class Earmark(models.TextChoices):
    """Allocations can come earmarked: Depok's 50,000 came as 35,000 for first cards and
    15,000 for replacements."""

    GENERAL = "general", _("Umum")
    FIRST = "first", _("KTP-el pemula")
    REPLACEMENT = "replacement", _("Penggantian")


class StockBalance(models.Model):
    region_path = "office__region__code"

    office = models.ForeignKey("devices.Office", on_delete=models.PROTECT, related_name="stock")
    item = models.CharField(max_length=8, choices=Item.choices)
    earmark = models.CharField(max_length=12, choices=Earmark.choices, default=Earmark.GENERAL)
    quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "item", "earmark"], name="one_balance_row"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0),
                                   name="balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.item}/{self.earmark}: {self.quantity}"


class StockMovement(models.Model):
    """One ledger row. Rows are only added; a correction is another row."""

    region_path = "office__region__code"

    class Kind(models.TextChoices):
        ALLOCATION_RECEIVED = "allocation", _("Alokasi diterima")
        TRANSFER_OUT = "transfer_out", _("Dikirim ke kantor lain")
        TRANSFER_IN = "transfer_in", _("Diterima dari kantor lain")
        CONSUMED = "consumed", _("Dipakai mencetak")
        SPOILED = "spoiled", _("Rusak saat cetak")
        RETURNED_OLD_CARD = "returned", _("KTP-el lama dikembalikan")
        DESTROYED = "destroyed", _("Dimusnahkan")

    office = models.ForeignKey("devices.Office", on_delete=models.PROTECT, related_name="+")
    item = models.CharField(max_length=8, choices=Item.choices)
    earmark = models.CharField(max_length=12, choices=Earmark.choices, default=Earmark.GENERAL)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    quantity = models.IntegerField()  # signed change of the balance
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                              related_name="+")
    reference = models.CharField(max_length=100, blank=True)  # BA serah terima, letter, job
    counterpart = models.ForeignKey("devices.Office", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    # Made by the caller for each logical movement, so a retried request is stored once.
    idempotency_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["office", "item", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.office_id} {self.kind} {self.item} {self.quantity:+d}"


class BlankCard(models.Model):
    """One blank by its serial, from receipt to use or spoilage."""

    region_path = "office__region__code"

    class Status(models.TextChoices):
        IN_STOCK = "in_stock", _("Tersedia")
        USED = "used", _("Terpakai")
        SPOILED = "spoiled", _("Rusak")

    serial = models.CharField(max_length=32, unique=True)
    office = models.ForeignKey("devices.Office", on_delete=models.PROTECT, related_name="+")
    earmark = models.CharField(max_length=12, choices=Earmark.choices, default=Earmark.GENERAL)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.IN_STOCK)
    received_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["office", "status", "earmark", "serial"])]

    def __str__(self) -> str:
        return self.serial


class StockRequest(models.Model):
    """A request sent up to the ministry/province, with its justification."""

    region_path = "office__region__code"

    office = models.ForeignKey("devices.Office", on_delete=models.PROTECT, related_name="+")
    item = models.CharField(max_length=8, choices=Item.choices)
    quantity = models.PositiveIntegerField()
    justification = models.TextField()
    letter_number = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                              related_name="+")
    received_quantity = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.office_id} {self.item} {self.quantity}"


class InvalidCard(models.Model):
    """A card that can no longer be used (spoiled blank or returned old card), booked before
    it is burned (SE Dirjen 400.8.1.2/202241/Dukcapil)."""

    region_path = "office__region__code"

    class Reason(models.TextChoices):
        ENCODE_FAILED = "encode_failed", _("Gagal encode")
        MISPRINT = "misprint", _("Gagal cetak / rusak cetak")
        PHYSICAL_DAMAGE = "physical", _("Rusak fisik")
        CHIP_INVALID = "chip_invalid", _("Tanpa chip / chip invalid")
        RETURNED_CHANGE = "returned_change", _("KTP-el lama: perubahan data")
        RETURNED_MOVE = "returned_move", _("KTP-el lama: pindah datang")
        RETURNED_DAMAGED = "returned_damaged", _("KTP-el lama: rusak")
        RETURNED_FOUND = "returned_found", _("KTP-el lama: hilang lalu ditemukan")

    serial = models.CharField(max_length=40, unique=True)
    office = models.ForeignKey("devices.Office", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    booked_at = models.DateTimeField()
    nik = models.CharField(max_length=16, blank=True)  # the holder, for a returned old card
    destruction = models.ForeignKey("Destruction", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="cards")

    def __str__(self) -> str:
        return f"{self.serial} {self.reason}"


class Destruction(models.Model):
    """A pemusnahan (burning) with its Berita Acara and witnesses."""

    region_path = "office__region__code"

    office = models.ForeignKey("devices.Office", on_delete=models.PROTECT, related_name="+")
    ba_number = models.CharField(max_length=100, unique=True)
    at = models.DateTimeField()
    witnesses = models.JSONField()  # [{"name": ..., "institution": ...}]
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                              related_name="+")

    def __str__(self) -> str:
        return self.ba_number
