from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationKind(models.TextChoices):
    NEW = "new", _("Baru")
    LOST = "lost", _("Hilang")
    DAMAGED = "damaged", _("Rusak")
    DATA_CHANGE = "data_change", _("Perubahan data")
    MOVE = "move", _("Pindah datang")


class Status(models.TextChoices):
    """The national system's status names (domain.md §3.3), so operators recognise them."""

    BIO_CAPTURED = "BIO_CAPTURED", "BIO_CAPTURED"
    SENT_FOR_ENROLLMENT = "SENT_FOR_ENROLLMENT", "SENT_FOR_ENROLLMENT"
    RECEIVED_AT_CENTRAL = "RECEIVED_AT_CENTRAL", "RECEIVED_AT_CENTRAL"
    PRINT_READY_RECORD = "PRINT_READY_RECORD", "PRINT_READY_RECORD"
    DUPLICATE_RECORD = "DUPLICATE_RECORD", "DUPLICATE_RECORD"
    ADJUDICATE_RECORD = "ADJUDICATE_RECORD", "ADJUDICATE_RECORD"
    ENROLL_FAILURE_AT_CENTRAL = "ENROLL_FAILURE_AT_CENTRAL", "ENROLL_FAILURE_AT_CENTRAL"
    SENT_FOR_CARD_PRINTING = "SENT_FOR_CARD_PRINTING", "SENT_FOR_CARD_PRINTING"
    CARD_PRINTED = "CARD_PRINTED", "CARD_PRINTED"
    CARD_SHIPPED = "CARD_SHIPPED", "CARD_SHIPPED"
    CARD_ISSUED = "CARD_ISSUED", "CARD_ISSUED"
    CANCELLED = "CANCELLED", "CANCELLED"
