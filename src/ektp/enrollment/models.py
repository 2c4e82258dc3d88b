from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Enrollment(models.Model):
    """One perekaman: biodata confirmed, face photo, fingerprints, signature.

    ``enrollment_id`` is made where the recording happened (station code + sequence + time),
    so the same recording arriving twice is recognised. Photo, signature and templates are
    sealed (AES-GCM) at rest.
    """

    region_path = "resident__family__village__code"

    enrollment_id = models.CharField(max_length=64, unique=True)
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="enrollments"
    )
    station_code = models.CharField(max_length=24)
    sequence = models.PositiveBigIntegerField()
    captured_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    photo_sealed = models.BinaryField()
    photo_width = models.PositiveIntegerField()
    photo_height = models.PositiveIntegerField()
    signature_sealed = models.BinaryField()
    finger_count = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("perekaman")
        verbose_name_plural = _("perekaman")
        constraints = [
            models.UniqueConstraint(
                fields=["station_code", "sequence"], name="enrollment_station_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return self.enrollment_id


class BiometricTemplate(models.Model):
    """A sealed template. Face: a 128-d dlib embedding (position 0). Finger: a fixed-length
    vector from the capture device, position 1..10 (1 right thumb ... 10 left little)."""

    class Modality(models.TextChoices):
        FACE = "face", _("Wajah")
        FINGER = "finger", _("Sidik jari")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="templates")
    modality = models.CharField(max_length=6, choices=Modality.choices)
    position = models.PositiveSmallIntegerField(default=0)
    sealed = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "modality", "position"], name="template_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} {self.modality} {self.position}"
