"""Printing drives: planning (bad input refused, nothing written), targets, blank requests and
deliveries through the supplies services (idempotent), and live progress: prints in the
window, shortfalls and stalled points, in a fixed number of queries."""

from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from ektp.errors import Conflict, DomainError, NotFound
from ektp.printing import drive_rules, drive_selectors, drive_services
from ektp.printing.models import DrivePoint, DriveSupply
from ektp.printing.tests.drive_factories import (
    drive_world,
    kelurahan_point,
    new_drive,
    print_one,
    snapshot,
)
from ektp.printing.tests.factories import KOTA_DEPOK, print_point
from ektp.supplies.models import StockRequest
from ektp.supplies.selectors import balance

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))


@contextmanager
def refused(exc_type, code: str):
    before = snapshot()
    with pytest.raises(exc_type) as info:
        yield info
    assert info.value.code == code, info.value.message
    assert snapshot() == before


# --- rules ----------------------------------------------------------------------------------


def test_a_point_is_stalled_only_while_the_drive_runs_with_work_waiting():
    ends = T0 + timedelta(days=2)
    stalled = {"starts_at": T0, "ends_at": ends, "stall_minutes": 30}
    at = T0 + timedelta(hours=2)
    assert drive_rules.is_stalled(now=at, last_print_at=at - timedelta(minutes=31), waiting=4,
                                  **stalled)
    assert not drive_rules.is_stalled(now=at, last_print_at=at - timedelta(minutes=29),
                                      waiting=4, **stalled)
    assert not drive_rules.is_stalled(now=at, last_print_at=None, waiting=0, **stalled)
    assert drive_rules.is_stalled(now=T0 + timedelta(minutes=30), last_print_at=None,
                                  waiting=1, **stalled)  # never printed since the start
    assert not drive_rules.is_stalled(now=T0 - timedelta(hours=1), last_print_at=None,
                                      waiting=1, **stalled)  # not started
    assert not drive_rules.is_stalled(now=ends, last_print_at=None, waiting=1, **stalled)


def test_shortfall_is_what_is_left_to_print_minus_the_shelf():
    assert drive_rules.shortfall(target=800, printed=300, in_stock=200) == 300
    assert drive_rules.shortfall(target=800, printed=700, in_stock=200) == 0


@pytest.mark.parametrize("call, code", [
    (lambda: drive_rules.check_window(T0, T0), "drive_window_invalid"),
    (lambda: drive_rules.check_window(T0, T0 + timedelta(days=15)), "drive_too_long"),
    (lambda: drive_rules.check_stall_minutes(4), "stall_minutes_invalid"),
    (lambda: drive_rules.check_stall_minutes(True), "stall_minutes_invalid"),
    (lambda: drive_rules.check_target(0), "target_invalid"),
    (lambda: drive_rules.check_target(100_001), "target_invalid"),
])
def test_rule_refusals_have_stable_codes(call, code):
    with pytest.raises(drive_rules.DriveRuleError) as info:
        call()
    assert info.value.code == code


# --- planning -------------------------------------------------------------------------------


def test_a_drive_is_planned_with_targets_per_point(db):
    world = drive_world(waiting=0)
    assert world.drive.points.count() == 2
    again = drive_services.drive_point_set(actor=None, drive_id=world.drive.pk,
                                           office_id=world.namosain.pk, target=7)
    assert again.pk == world.namosain_point.pk and again.target == 7
    assert DrivePoint.objects.count() == 2


@pytest.mark.parametrize("fields, exc_type, code", [
    ({"name": " "}, DomainError, "name_invalid"),
    ({"ends_at": timezone.now() - timedelta(days=1)}, DomainError, "drive_window_invalid"),
    ({"ends_at": timezone.now() + timedelta(days=20)}, DomainError, "drive_too_long"),
    ({"stall_minutes": 1}, DomainError, "stall_minutes_invalid"),
    ({"region_code": "99.99"}, NotFound, "region_unknown"),
    ({"starts_at": "tomorrow"}, DomainError, "drive_window_invalid"),
])
def test_bad_drives_are_refused_and_write_nothing(db, fields, exc_type, code):
    with refused(exc_type, code):
        new_drive(**fields)


def test_bad_points_are_refused_and_write_nothing(db):
    world = drive_world(waiting=0)
    depok = print_point("DINAS-3276", KOTA_DEPOK)
    recording = print_point("REK-ALAK", "53.71.01", prints_cards=False)
    for office_id, target, exc_type, code in (
            (depok.pk, 5, DomainError, "office_outside_region"),
            (recording.pk, 5, DomainError, "office_not_print_point"),
            (999_999, 5, NotFound, "office_unknown"),
            (world.dinas.pk, 0, DomainError, "target_invalid")):
        with refused(exc_type, code):
            drive_services.drive_point_set(actor=None, drive_id=world.drive.pk,
                                           office_id=office_id, target=target)


def test_an_ended_drive_takes_no_more_points(db):
    drive = new_drive(starts_at=timezone.now() - timedelta(days=2),
                      ends_at=timezone.now() - timedelta(days=1))
    with refused(Conflict, "drive_ended"):
        drive_services.drive_point_set(actor=None, drive_id=drive.pk,
                                       office_id=print_point().pk, target=5)


# --- stock for the points ---------------------------------------------------------------------


def test_a_point_asks_for_what_it_lacks_once(db):
    world = drive_world(waiting=0)
    request = drive_services.drive_point_request(actor=None, point_id=world.namosain_point.pk)
    assert (request.office_id, request.item, request.quantity) == (world.namosain.pk, "blank",
                                                                   5)
    assert "Cetak massal Kupang" in request.justification
    with refused(Conflict, "request_exists"):
        drive_services.drive_point_request(actor=None, point_id=world.namosain_point.pk)


def test_a_point_with_enough_blanks_asks_for_nothing(db):
    world = drive_world(waiting=0, dinas_blanks=10)  # target 8 at the Dinas
    with refused(DomainError, "no_shortfall"):
        drive_services.drive_point_request(actor=None, point_id=world.dinas_point.pk)


def test_blanks_from_the_centre_are_received_against_the_request_once(db):
    world = drive_world(waiting=0)
    point = world.namosain_point
    request = drive_services.drive_point_request(actor=None, point_id=point.pk)
    kwargs = {"actor": None, "point_id": point.pk, "quantity": 4, "handover_ref": "BA-77",
              "idempotency_key": "drive-1-namosain-1", "serial_prefix": "DRV25-",
              "first_serial": 1}
    supply = drive_services.drive_point_supply(**kwargs)
    before = snapshot()
    assert drive_services.drive_point_supply(**kwargs).pk == supply.pk  # a retry
    assert snapshot() == before
    request.refresh_from_db()
    assert (supply.quantity, request.received_quantity) == (4, 4)
    assert balance(world.namosain.pk, "blank") == 4


def test_blanks_transferred_from_the_dinas_are_linked_to_the_point(db):
    world = drive_world(waiting=0, dinas_blanks=10)
    supply = drive_services.drive_point_supply(
        actor=None, point_id=world.namosain_point.pk, quantity=3, handover_ref="BA-DINAS-1",
        idempotency_key="drive-1-transfer-1", from_office_id=world.dinas.pk)
    assert supply.quantity == 3 and supply.movement.kind == "transfer_out"
    assert (balance(world.dinas.pk, "blank"), balance(world.namosain.pk, "blank")) == (7, 3)


def test_bad_deliveries_are_refused_and_write_nothing(db):
    world = drive_world(waiting=0, dinas_blanks=2)
    point = world.namosain_point.pk
    drive_services.drive_point_supply(actor=None, point_id=point, quantity=1,
                                      handover_ref="BA-1", idempotency_key="key-1",
                                      from_office_id=world.dinas.pk)
    cases = [
        ({"idempotency_key": " "}, DomainError, "idempotency_key_required"),
        ({"quantity": 5}, Conflict, "stock_insufficient"),
        ({"quantity": 0}, DomainError, "quantity_invalid"),
        ({"handover_ref": ""}, DomainError, "reference_required"),
        ({"idempotency_key": "key-1", "quantity": 2}, Conflict, "idempotency_key_reused"),
    ]
    for overrides, exc_type, code in cases:
        values = {"actor": None, "point_id": point, "quantity": 1, "handover_ref": "BA-2",
                  "idempotency_key": "key-2", "from_office_id": world.dinas.pk, **overrides}
        with refused(exc_type, code):
            drive_services.drive_point_supply(**values)
    with refused(DomainError, "serial_range_required"):
        drive_services.drive_point_supply(actor=None, point_id=point, quantity=1,
                                          handover_ref="BA-3", idempotency_key="key-3")
    assert DriveSupply.objects.count() == 1 and StockRequest.objects.count() == 0


# --- progress -------------------------------------------------------------------------------


def test_progress_counts_prints_in_the_window_and_flags_shortfall(db):
    world = drive_world(waiting=4, dinas_blanks=10)
    print_one(world.dinas)
    print_one(world.dinas)
    progress = drive_selectors.drive_progress(world.drive, world.drive.points.all())
    dinas, namosain = progress.points
    assert (dinas.point.office, dinas.printed, dinas.in_stock, dinas.shortfall) == (
        world.dinas, 2, 8, 0)
    assert dinas.waiting == 2 and dinas.done_share == 25.0 and dinas.last_print_at
    assert (namosain.printed, namosain.in_stock, namosain.shortfall) == (0, 0, 5)
    assert (progress.target, progress.printed, progress.shortfall) == (13, 2, 5)
    assert progress.phase == drive_rules.RUNNING and progress.short == [namosain]


def test_prints_before_the_drive_do_not_count(db):
    world = drive_world(waiting=2)
    print_one(world.dinas)
    later = new_drive(starts_at=timezone.now() + timedelta(minutes=1),
                      ends_at=timezone.now() + timedelta(days=1))
    drive_services.drive_point_set(actor=None, drive_id=later.pk, office_id=world.dinas.pk,
                                   target=5)
    [dinas] = drive_selectors.drive_progress(later, later.points.all()).points
    assert dinas.printed == 0


def test_a_point_with_work_waiting_and_no_print_for_too_long_is_stalled(db):
    world = drive_world(waiting=3)
    job = print_one(world.dinas)
    soon = job.finished_at + timedelta(minutes=10)
    late = job.finished_at + timedelta(minutes=31)
    points = world.drive.points.all()
    # The kelurahan point (records of Namosain waiting) printed nothing since the start.
    stalled = drive_selectors.drive_progress(world.drive, points, now=soon).stalled
    assert [p.point.office for p in stalled] == [world.namosain]
    stalled = drive_selectors.drive_progress(world.drive, points, now=late).stalled
    assert {p.point.office for p in stalled} == {world.dinas, world.namosain}


def test_a_point_with_nothing_waiting_is_never_stalled(db):
    world = drive_world(waiting=0)
    late = timezone.now() + timedelta(hours=3)
    assert drive_selectors.drive_progress(world.drive, world.drive.points.all(),
                                          now=late).stalled == []


@pytest.mark.parametrize("points", [1, 6])
def test_progress_costs_the_same_queries_whatever_the_number_of_points(
        db, django_assert_num_queries, points):
    drive = new_drive()
    for n in range(points):
        office = kelurahan_point(f"KEL-{n}", "53.71.01.1001")
        drive_services.drive_point_set(actor=None, drive_id=drive.pk, office_id=office.pk,
                                       target=10)
    with django_assert_num_queries(5):
        progress = drive_selectors.drive_progress(drive, drive.points.all())
    assert len(progress.points) == points
