from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ektp.fieldwork.choices import Outcome, Source


class Campaign(models.Model):
    """A field verification campaign: a list of residents to visit in a region, made once from
    the register (the not-recorded wajib KTP, or the pemula turning 17 soon)."""

    region_path = "region__code"

    name = models.CharField(_("nama kampanye"), max_length=120)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=14, choices=Source.choices)
    months_ahead = models.PositiveSmallIntegerField(null=True, blank=True)
    as_of = models.DateField()  # the day the list was drawn
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("kampanye verifikasi")
        verbose_name_plural = _("kampanye verifikasi")

    def __str__(self) -> str:
        return self.name


class Entry(models.Model):
    """One resident on a campaign list, with the outcome of the latest visit (kept here so
    progress is one aggregate query). ``village`` is where the resident lived when the list was
    drawn: the list a field officer carries."""

    region_path = "village__code"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="entries")
    resident = models.ForeignKey("residents.Resident", on_delete=models.PROTECT,
                                 related_name="+")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    visited_at = models.DateTimeField(null=True, blank=True)
    visits_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["village_id", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "resident"],
                                               name="one_entry_per_resident")]
        indexes = [models.Index(fields=["campaign", "village", "outcome"])]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.pk} {self.outcome or '-'}"


class Visit(models.Model):
    """One visit as reported. ``client_id`` is made where the report was made (the officer's
    tablet or the page's form), so a retried report is acknowledged and never stored twice."""

    region_path = "entry__village__code"

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="visits")
    client_id = models.CharField(max_length=64, unique=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    visited_on = models.DateField()
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                related_name="+")
    recorded_at = models.DateTimeField()
    invited_for = models.DateField(null=True, blank=True)
    died_on = models.DateField(null=True, blank=True)
    document_ref = models.CharField(max_length=100, blank=True)
    to_village = models.ForeignKey("regions.Region", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    # The life event the visit wrote to the register (a move or a death).
    resident_event = models.ForeignKey("residents.ResidentEvent", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.outcome}"
