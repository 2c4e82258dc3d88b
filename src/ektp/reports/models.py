"""Daily rollups: per-village counts the report pages read instead of scanning the register.

``ektp reports_rollup`` (or the ``rollup_refresh_task``) recomputes them from the register,
the applications and their history; pages show when they were computed. A village row holds
only counts and histograms (by date), never a person.
"""

from django.db import models


class CoverageRollup(models.Model):
    """One village: residents, wajib KTP and how far they got, as of ``computed_at``."""

    region_path = "village_code"

    village_code = models.CharField(max_length=13, unique=True)
    computed_at = models.DateTimeField()
    as_of = models.DateField()
    residents = models.PositiveIntegerField(default=0)
    wajib = models.PositiveIntegerField(default=0)
    wajib_recorded = models.PositiveIntegerField(default=0)
    wajib_card = models.PositiveIntegerField(default=0)
    eligible_no_card = models.PositiveIntegerField(default=0)  # wajib today, no printed card
    no_card_22 = models.PositiveIntegerField(default=0)  # aged 22 or more, no printed card
    recorded = models.PositiveIntegerField(default=0)
    in_dedup = models.PositiveIntegerField(default=0)
    prr = models.PositiveIntegerField(default=0)
    printed = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    # Unmarried residents turning 17 in the next 24 months with no card: {"YYYY-MM-DD": n} by
    # birth date (first-time eligible, and voters by an election date).
    minors = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.village_code} {self.as_of}"


class StatusRollup(models.Model):
    """Applications of one village in one status, with the days they entered it."""

    region_path = "village_code"

    village_code = models.CharField(max_length=13)
    status = models.CharField(max_length=26)
    count = models.PositiveIntegerField(default=0)
    since = models.JSONField(default=dict)  # {"YYYY-MM-DD": n}; only for waiting statuses

    class Meta:
        constraints = [models.UniqueConstraint(fields=["village_code", "status"],
                                               name="one_status_rollup")]

    def __str__(self) -> str:
        return f"{self.village_code} {self.status} {self.count}"


class FlowRollup(models.Model):
    """One village, one day: how many were recorded, deduplicated, printed and issued."""

    region_path = "village_code"

    village_code = models.CharField(max_length=13)
    day = models.DateField()
    recorded = models.PositiveIntegerField(default=0)
    deduplicated = models.PositiveIntegerField(default=0)
    printed = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["village_code", "day"],
                                               name="one_flow_rollup")]
        indexes = [models.Index(fields=["day", "village_code"])]

    def __str__(self) -> str:
        return f"{self.village_code} {self.day}"
