"""Print points, printers, stock and print-ready records for the printing tests, and a snapshot
of every table printing can write, so a refusal can be shown to have written nothing.

Records are made through the real services: a perekaman with synthetic biometrics, then
penunggalan (``dedup_application``) finds it single, so it reaches PRINT_READY_RECORD as in
production. Residents live in kelurahan Namosain (Alak, Kota Kupang)."""

from datetime import timedelta

import numpy as np
from django.utils import timezone

from ektp.dedup.services import dedup_application
from ektp.devices.models import Device, Office
from ektp.devices.services import device_register, device_report_breakdown, office_create
from ektp.enrollment.tests import biometrics
from ektp.enrollment.tests.factories import (
    CARD_ISSUED_PATH,
    KOTA_DEPOK,
    KOTA_KUPANG,
    NAMOSAIN,
    PersonFactory,
    application_of,
    move,
    record,
)
from ektp.enrollment.tests.factories import snapshot as enrollment_snapshot
from ektp.issuance import rules
from ektp.issuance.models import Application, TemporaryCertificate
from ektp.issuance.services import application_replace
from ektp.printing.models import Handover, PrintJob
from ektp.supplies.tests.factories import receive_blanks, receive_rolls
from ektp.supplies.tests.factories import snapshot as stock_snapshot

__all__ = ["KOTA_DEPOK", "KOTA_KUPANG", "NAMOSAIN", "CARD_ISSUED_PATH"]

_RNG = np.random.default_rng(5371_2026)


def print_point(code: str = "DINAS-5371", region_code: str = KOTA_KUPANG, *,
                prints_cards: bool = True) -> Office:
    return office_create(actor=None, code=code, name=f"Kantor {code}", kind="dinas",
                         region_code=region_code, prints_cards=prints_cards)


_serials = iter(range(1, 1_000_000))


def printer(office: Office, status: str = "working") -> Device:
    """A card printer, brought to ``status`` through the services."""
    device = device_register(actor=None, office_id=office.pk, kind="card_printer",
                             serial_number=f"HDP5000-{next(_serials):06d}",
                             model_name="Fargo HDP5000")
    if status in ("degraded", "broken"):
        device_report_breakdown(actor=None, device_id=device.pk, description="uji",
                                degraded_only=status == "degraded")
    device.refresh_from_db()
    return device


def stock(office: Office, blanks: int, *, first: int = 1, rolls: int = 1, **extra) -> None:
    """``blanks`` blanks (serials KTP25-0000001 up from ``first``), and ``rolls`` rolls each of
    ribbon and film."""
    if blanks:
        receive_blanks(office, blanks, first=first, **extra)
    if rolls:
        receive_rolls(office, ribbons=rolls, films=rolls)


def new_identity() -> biometrics.Identity:
    """Someone's underlying biometrics, to record them and later present their fingers."""
    return biometrics.new_identity(_RNG)


def print_ready(resident=None, *, identity=None, waited_days: float | None = None
                ) -> Application:
    """A recording that penunggalan found single; ``waited_days`` back-dates the
    application."""
    resident = resident or PersonFactory()
    identity = identity or new_identity()
    enrollment = record(resident, biometrics.capture(identity, _RNG))
    application = application_of(enrollment)
    assert dedup_application(application_id=application.pk) == rules.S_PRR
    if waited_days is not None:
        Application.objects.filter(pk=application.pk).update(
            created_at=timezone.now() - timedelta(days=waited_days))
    application.refresh_from_db()
    return application


def replacement_ready(*, waited_days: float | None = None, kind: str = "lost"
                      ) -> Application:
    """A replacement card (no new recording) that penunggalan sent back to PRR."""
    issued = move(print_ready(), *CARD_ISSUED_PATH)
    application = application_replace(actor=None, resident_id=issued.resident_id, kind=kind,
                                      enqueue_dedup=False, police_letter_ref="LP/1/2026")
    assert dedup_application(application_id=application.pk) == rules.S_PRR
    if waited_days is not None:
        Application.objects.filter(pk=application.pk).update(
            created_at=timezone.now() - timedelta(days=waited_days))
    application.refresh_from_db()
    return application


def fingers_of(identity, positions=(2, 7)) -> dict[int, list[float]]:
    """A fresh capture of ``identity``'s index fingers, as the hand-over scanner sends them."""
    sample = biometrics.capture(identity, _RNG)
    return {p: v for p, v in sample.fingerprints().items() if p in positions}


def snapshot() -> dict:
    """Every row printing can touch, and every application's status."""
    return {
        "enrollment": enrollment_snapshot(),
        "stock": stock_snapshot(),
        "jobs": sorted(PrintJob.objects.values_list("pk", "status", "voided_at")),
        "handovers": Handover.objects.count(),
        "certificates": sorted(TemporaryCertificate.objects.values_list("pk", "status")),
        "devices": sorted(Device.objects.values_list("pk", "status")),
    }
