from django.db import models


class PlantedDuplicate(models.Model):
    """A duplicate the demo planted on purpose, so a rerun can still score the pipeline."""

    original = models.ForeignKey("residents.Resident", on_delete=models.CASCADE, related_name="+")
    duplicate = models.ForeignKey("residents.Resident", on_delete=models.CASCADE,
                                  related_name="+")

    def __str__(self) -> str:
        return f"{self.original_id} ~ {self.duplicate_id}"
