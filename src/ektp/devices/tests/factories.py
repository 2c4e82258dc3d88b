"""Offices and devices for the devices tests, made through the services, and a snapshot of
every table a devices service can write (equal before and after a refusal)."""

from contextlib import contextmanager

import pytest

from ektp.devices.models import Breakdown, Device, Office
from ektp.devices.services import (
    device_register,
    device_report_breakdown,
    device_retire,
    office_create,
)

KOTA_KUPANG = "53.71"
ALAK, KELAPA_LIMA = "53.71.01", "53.71.03"


def snapshot() -> dict:
    return {
        "offices": sorted(Office.objects.values_list("pk", "code")),
        "devices": sorted(Device.objects.values_list("pk", "status", "status_changed_at")),
        "breakdowns": sorted(Breakdown.objects.values_list(
            "pk", "repair_started_at", "repaired_at", "repair_note")),
    }


@contextmanager
def refused(exc_type, code: str):
    """The call is refused with ``code`` and nothing is written."""
    before = snapshot()
    with pytest.raises(exc_type) as caught:
        yield caught
    assert caught.value.code == code, caught.value.message
    assert snapshot() == before


def office(code="DINAS-5371", region=KOTA_KUPANG, **flags) -> Office:
    return office_create(actor=None, code=code, name=f"Kantor {code}", kind="dinas",
                         region_code=region, **flags)


_numbers = iter(range(1, 100_000))


def device(office, kind="card_printer", status="working") -> Device:
    made = device_register(actor=None, office_id=office.pk, kind=kind,
                           serial_number=f"SN-{next(_numbers):05d}")
    if status in ("degraded", "broken"):
        device_report_breakdown(actor=None, device_id=made.pk, description="uji",
                                degraded_only=status == "degraded")
    elif status == "retired":
        device_retire(actor=None, device_id=made.pk)
    made.refresh_from_db()
    assert made.status == status
    return made
