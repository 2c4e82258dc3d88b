"""The print queue: which records wait at an office, and in which order (domain.md §4: the
longest waiting first; first-time applicants before replacements when blanks are short)."""

import pytest

from ektp.enrollment.tests.factories import DEPOK, FamilyFactory, PersonFactory
from ektp.issuance import rules
from ektp.printing.rules import queue_order
from ektp.printing.selectors import issue_place, print_queue, queue_view
from ektp.printing.services import print_job_start
from ektp.printing.tests.factories import (
    KOTA_DEPOK,
    move,
    print_point,
    print_ready,
    printer,
    replacement_ready,
    stock,
)

pytestmark = pytest.mark.django_db


def ids(applications) -> list[int]:
    return [application.pk for application in applications]


# --- the pure rule ------------------------------------------------------------------------------


def test_the_rule_orders_the_longest_waiting_first():
    waiting = [(1, "new", 10.0), (2, "lost", 30.0), (3, "new", 20.0)]
    assert queue_order(waiting, blanks_short=False) == [2, 3, 1]


def test_the_rule_puts_pemula_first_only_when_blanks_are_short():
    waiting = [(1, "new", 10.0), (2, "lost", 30.0), (3, "damaged", 20.0), (4, "new", 5.0)]
    assert queue_order(waiting, blanks_short=True) == [1, 4, 2, 3]


def test_equal_waits_keep_the_application_order():
    assert queue_order([(5, "new", 1.0), (2, "new", 1.0)], blanks_short=False) == [2, 5]


# --- the queue of an office ---------------------------------------------------------------------


def test_the_queue_is_oldest_first(office):
    middle, newest, oldest = (print_ready(waited_days=d) for d in (5, 1, 9))
    stock(office, 10)
    assert ids(print_queue(office)) == [oldest.pk, middle.pk, newest.pk]


def test_pemula_go_before_replacements_when_blanks_are_short(office):
    replacement = replacement_ready(waited_days=20)
    first_old, first_new = print_ready(waited_days=3), print_ready(waited_days=1)
    stock(office, 2)  # three waiting, two blanks
    assert ids(print_queue(office)) == [first_old.pk, first_new.pk, replacement.pk]


def test_with_enough_blanks_replacements_keep_their_turn(office):
    replacement = replacement_ready(waited_days=20)
    first = print_ready(waited_days=3)
    stock(office, 2)
    assert ids(print_queue(office)) == [replacement.pk, first.pk]


def test_only_print_ready_records_of_the_office_area_wait(office):
    ready = print_ready()
    move(print_ready(), rules.S_SFP)  # on a printer already
    move(print_ready(), rules.S_CANCELLED)
    in_depok = print_ready(PersonFactory(family=FamilyFactory(village_id=DEPOK)))
    assert ids(print_queue(office)) == [ready.pk]
    assert ids(print_queue(print_point("DINAS-3276", KOTA_DEPOK))) == [in_depok.pk]


def test_a_spoiled_card_keeps_its_place_in_the_queue(office):
    from ektp.printing.services import print_job_spoil

    stock(office, 5)
    first, second = print_ready(waited_days=4), print_ready(waited_days=2)
    job = print_job_start(actor=None, office_id=office.pk, application_id=first.pk)
    assert ids(print_queue(office)) == [second.pk]
    print_job_spoil(actor=None, job_id=job.pk, reason="misprint")
    assert ids(print_queue(office)) == [first.pk, second.pk]


def test_the_limit_cuts_the_queue(office):
    oldest = print_ready(waited_days=3)
    print_ready(waited_days=1)
    assert ids(print_queue(office, limit=1)) == [oldest.pk]


def test_the_view_shows_stock_and_only_printers_that_print(office):
    working, degraded = printer(office), printer(office, "degraded")
    printer(office, "broken")
    stock(office, 4, rolls=2)
    print_ready()
    view = queue_view(office, limit=10)
    assert (view.waiting, view.blanks_short) == (1, False)
    assert view.stock == {"blank": 4, "ribbon": 1000, "film": 1000}
    assert {p.pk for p in view.printers} == {working.pk, degraded.pk}


def test_cards_name_the_kab_kota_as_place_of_issue():
    assert issue_place(print_point("KEL-NAMOSAIN", "53.71.01.1001")) == "Kota Kupang"
