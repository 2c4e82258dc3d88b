"""Offices and devices: registration, breakdowns and repairs as a state machine, printing
capacity, and the kecamatan where nobody can be recorded."""

import pytest

from ektp.devices import rules
from ektp.devices.models import Device
from ektp.devices.selectors import (
    capacity_by_office,
    districts_without_recording_kit,
    office_capacity,
)
from ektp.devices.services import (
    device_close_repair,
    device_register,
    device_report_breakdown,
    device_retire,
    device_start_repair,
    office_create,
)
from ektp.devices.tests.factories import ALAK, KELAPA_LIMA, KOTA_KUPANG, device, office, refused
from ektp.errors import Conflict, DomainError, NotFound

pytestmark = pytest.mark.django_db

KUPANG_DISTRICTS = ["53.71.01", "53.71.02", "53.71.03", "53.71.04", "53.71.05", "53.71.06"]


def status_of(device) -> str:
    return Device.objects.values_list("status", flat=True).get(pk=device.pk)


# --- offices and registration -------------------------------------------------------------------


def test_an_office_code_is_unique():
    office()
    with refused(Conflict, "office_exists"):
        office()


@pytest.mark.parametrize(("fields", "exc", "code"), [
    ({"kind": "warung"}, DomainError, "office_kind"),
    ({"code": "  "}, DomainError, "office_incomplete"),
    ({"region_code": "99.99"}, NotFound, "region_unknown"),
])
def test_a_bad_office_is_refused(fields, exc, code):
    values = {"code": "UPT-X", "name": "UPT X", "kind": "upt", "region_code": ALAK, **fields}
    with refused(exc, code):
        office_create(actor=None, **values)


def test_a_device_is_registered_working():
    made = device_register(actor=None, office_id=office().pk, kind="recording_kit",
                           serial_number="  REK-01 ", model_name="Kit perekaman")
    assert (made.serial_number, made.status, made.kind) == ("REK-01", "working",
                                                            "recording_kit")


@pytest.mark.parametrize(("fields", "exc", "code"), [
    ({"kind": "scanner"}, DomainError, "device_kind"),
    ({"serial_number": " "}, DomainError, "serial_invalid"),
    ({"office_id": 987654321}, NotFound, "office_unknown"),
    ({"serial_number": "SN-TAKEN"}, Conflict, "device_exists"),
])
def test_a_bad_registration_is_refused(fields, exc, code):
    at = office()
    device_register(actor=None, office_id=at.pk, kind="card_printer", serial_number="SN-TAKEN")
    values = {"office_id": at.pk, "kind": "card_printer", "serial_number": "SN-NEW", **fields}
    with refused(exc, code):
        device_register(actor=None, **values)


# --- breakdowns and repairs ---------------------------------------------------------------------


def test_a_breakdown_then_a_repair(django_user_model):
    reporter = django_user_model.objects.create(username="teknisi", role="print_operator")
    printer = device(office())
    breakdown = device_report_breakdown(actor=reporter, device_id=printer.pk,
                                        description=" Head printer rusak ")
    assert (status_of(printer), breakdown.description, breakdown.reported_by) == (
        "broken", "Head printer rusak", reporter)
    started = device_start_repair(actor=None, device_id=printer.pk)
    assert (status_of(printer), started.repair_started_at is not None) == ("in_repair", True)
    closed = device_close_repair(actor=None, device_id=printer.pk, note="Head diganti")
    assert (status_of(printer), closed.repair_note) == ("working", "Head diganti")
    assert closed.repaired_at >= closed.repair_started_at
    # Closed: the next fault is a new breakdown.
    device_report_breakdown(actor=None, device_id=printer.pk, description="lagi")
    assert printer.breakdowns.count() == 2


def test_a_degraded_device_recovers_without_a_repair():
    printer = device(office(), status="degraded")
    closed = device_close_repair(actor=None, device_id=printer.pk, note="")
    assert (status_of(printer), closed.degraded_only) == ("working", True)


@pytest.mark.parametrize("status", ["broken", "degraded", "in_repair"])
def test_a_second_report_while_one_is_open_is_refused(status):
    printer = device(office(), status="degraded" if status == "degraded" else "broken")
    if status == "in_repair":
        device_start_repair(actor=None, device_id=printer.pk)
    for degraded_only in (False, True):
        with refused(Conflict, "breakdown_open") as caught:
            device_report_breakdown(actor=None, device_id=printer.pk, description="lagi",
                                    degraded_only=degraded_only)
        assert caught.value.status == 409


@pytest.mark.parametrize(("status", "action", "code"), [
    ("retired", "report", "device_illegal_transition"),
    ("retired", "retire", "device_illegal_transition"),
    ("working", "start", "breakdown_missing"),
    ("working", "close", "breakdown_missing"),
    ("retired", "start", "breakdown_missing"),
])
def test_an_illegal_device_transition_is_refused(status, action, code):
    printer = device(office(), status=status)
    call = {
        "report": lambda: device_report_breakdown(actor=None, device_id=printer.pk,
                                                  description="rusak"),
        "retire": lambda: device_retire(actor=None, device_id=printer.pk),
        "start": lambda: device_start_repair(actor=None, device_id=printer.pk),
        "close": lambda: device_close_repair(actor=None, device_id=printer.pk),
    }[action]
    with refused(Conflict, code):
        call()


def test_a_repair_is_started_once():
    printer = device(office(), status="broken")
    device_start_repair(actor=None, device_id=printer.pk)
    with refused(Conflict, "device_illegal_transition"):
        device_start_repair(actor=None, device_id=printer.pk)


def test_a_device_in_repair_can_be_retired():
    printer = device(office(), status="broken")
    device_start_repair(actor=None, device_id=printer.pk)
    assert device_retire(actor=None, device_id=printer.pk).status == "retired"


@pytest.mark.parametrize(("description", "code"), [("  ", "description_required"),
                                                   ("x" * 301, "description_too_long")])
def test_a_breakdown_needs_a_description(description, code):
    printer = device(office())
    with refused(DomainError, code):
        device_report_breakdown(actor=None, device_id=printer.pk, description=description)


def test_an_unknown_device_is_404():
    with refused(NotFound, "device_unknown"):
        device_report_breakdown(actor=None, device_id=987654321, description="rusak")
    with refused(NotFound, "device_unknown"):
        device_start_repair(actor=None, device_id=987654321)


def test_every_transition_of_the_table_is_reachable_only_as_listed():
    for current, targets in rules.ALLOWED_TRANSITIONS.items():
        for target in rules.ALLOWED_TRANSITIONS:
            assert rules.can_transition(current, target) == (target in targets)
    assert not rules.can_transition("unknown", rules.WORKING)


# --- capacity -----------------------------------------------------------------------------------


def test_two_working_one_degraded_one_broken_print_475_cards_a_day():
    dinas = office(prints_cards=True)
    for status in ("working", "working", "degraded", "broken", "retired"):
        device(dinas, status=status)
    device(dinas, kind="recording_kit")  # not a printer
    assert office_capacity(dinas) == 2 * 200 + 75 == 475
    [line] = capacity_by_office(KOTA_KUPANG)
    assert (line["office"], line["printers"], line["working"], line["degraded"],
            line["cards_per_day"]) == (dinas, 4, 3, 1, 475)


def test_capacity_follows_the_settings(settings):
    settings.EKTP_PRINTER_CARDS_PER_DAY, settings.EKTP_DEGRADED_PRINTER_CARDS_PER_DAY = 150, 50
    dinas = office(prints_cards=True)
    device(dinas)
    device(dinas, status="degraded")
    assert office_capacity(dinas) == 200


def test_capacity_lists_only_print_points_in_the_region():
    kupang = office(prints_cards=True)
    office("UPT-ALAK", ALAK)  # records, does not print
    office("DINAS-3276", "32.76", prints_cards=True)
    device(kupang)
    assert [(line["office"].code, line["cards_per_day"])
            for line in capacity_by_office(KOTA_KUPANG)] == [("DINAS-5371", 200)]


# --- kecamatan without a recording kit ----------------------------------------------------------


def test_a_kecamatan_without_a_working_recording_kit_is_flagged():
    alak = office("UPT-ALAK", ALAK, records_biometrics=True)
    maulafa = office("KEL-OEPURA", "53.71.02.1001")  # a kelurahan point in Maulafa
    device(alak, kind="recording_kit")
    device(maulafa, kind="recording_kit", status="broken")
    device(office("UPT-KELAPA-LIMA", KELAPA_LIMA), kind="recording_kit", status="degraded")
    device(office("UPT-OEBOBO", "53.71.04"), kind="recording_kit", status="retired")
    device(office("UPT-KOTA-RAJA", "53.71.05"), kind="card_printer")  # no recording kit
    device(office(), kind="recording_kit")  # at the Dinas: covers no kecamatan by itself
    flagged = [d.code for d in districts_without_recording_kit(KOTA_KUPANG)]
    # Alak has a working kit, Kelapa Lima a degraded one (it still records, slower).
    assert flagged == [code for code in KUPANG_DISTRICTS if code not in (ALAK, KELAPA_LIMA)]


def test_a_kecamatan_can_be_asked_about_itself():
    assert [d.code for d in districts_without_recording_kit(ALAK)] == [ALAK]
    device(office("UPT-ALAK", ALAK), kind="recording_kit")
    assert districts_without_recording_kit(ALAK) == []


def test_a_repaired_kit_covers_its_kecamatan_again():
    kit = device(office("UPT-ALAK", ALAK), kind="recording_kit", status="broken")
    assert ALAK in [d.code for d in districts_without_recording_kit(KOTA_KUPANG)]
    device_close_repair(actor=None, device_id=kit.pk, note="diganti")
    assert ALAK not in [d.code for d in districts_without_recording_kit(KOTA_KUPANG)]
