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
    outcome = models.CharField(max_length=26)  # the decision this candidate alone supports
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["face_distance"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "matched_enrollment"], name="candidate_unique_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} ~ {self.matched_enrollment_id} {self.outcome}"
