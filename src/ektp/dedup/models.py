from django.db import models


class DedupCandidate(models.Model):
    """A record the penunggalan search found close to an application's recording: kept with
    its scores for the adjudication screen."""

    region_path = "application__resident__family__village__code"

    class Kind(models.TextChoices):
        ONE_TO_ONE = "one_to_one", "Duplicate One-to-One"
        ONE_TO_MANY = "one_to_many", "Duplicate One-to-Many"

    application = models.ForeignKey(
        "issuance.Application", on_delete=models.CASCADE, related_name="candidates"
    )
    matched_enrollment = models.ForeignKey(
        "enrollment.Enrollment", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    face_distance = models.FloatField(null=True)
    finger_score = models.FloatField(null=True)
    demographic_match = models.BooleanField(default=False)
    # The evidence as log-likelihood ratios (calibrated per modality, summed into fused_llr):
    # > 0 speaks for one person, < 0 against, 0 none (a modality missing on either side).
    face_llr = models.FloatField(null=True)
    finger_llr = models.FloatField(null=True)
    demographic_llr = models.FloatField(null=True)
    fused_llr = models.FloatField(null=True)
    outcome = models.CharField(max_length=26)  # the decision this candidate alone supports
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fused_llr", "face_distance"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "matched_enrollment"], name="candidate_unique_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} ~ {self.matched_enrollment_id} {self.outcome}"


class ScanPair(models.Model):
    """Two recordings in the register that `ektp dedup scan --queue` found alike and that no
    penunggalan decision linked yet: kept for a person to look at (`a` is the lower id)."""

    region_path = "enrollment_b__resident__family__village__code"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONFIRMED = "confirmed", "Confirmed duplicate"
        CLEARED = "cleared", "Cleared as different people"

    enrollment_a = models.ForeignKey(
        "enrollment.Enrollment", on_delete=models.CASCADE, related_name="+"
    )
    enrollment_b = models.ForeignKey(
        "enrollment.Enrollment", on_delete=models.CASCADE, related_name="+"
    )
    outcome = models.CharField(max_length=26)  # what the scores alone support
    face_distance = models.FloatField(null=True)
    finger_score = models.FloatField(null=True)
    face_llr = models.FloatField(null=True)
    finger_llr = models.FloatField(null=True)
    demographic_llr = models.FloatField(null=True)
    fused_llr = models.FloatField(null=True)
    demographic_probability = models.FloatField(null=True)  # the demographic engine's, if run
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fused_llr", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment_a", "enrollment_b"],
                                    name="scan_pair_unique"),
            models.CheckConstraint(condition=models.Q(enrollment_a__lt=models.F("enrollment_b")),
                                   name="scan_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_a_id} ~ {self.enrollment_b_id} {self.outcome}"
