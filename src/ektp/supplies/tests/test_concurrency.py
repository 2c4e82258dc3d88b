"""Stock under concurrent use, with real threads and one database connection each.

On PostgreSQL the transactions really overlap: the conditional updates (``quantity >= n``,
``status = in_stock``) decide who gets the last blank, and the lock order keeps opposite
transfers from deadlocking. On SQLite the write lock serialises them, which must give the same
result.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import pytest
from django.db import connection

from ektp.errors import Conflict
from ektp.supplies import selectors, services
from ektp.supplies.models import BlankCard, StockMovement
from ektp.supplies.tests.factories import NAMOSAIN, make_office, receive_blanks, receive_rolls

THREADS = 8
Kind = StockMovement.Kind
# A transactional test flushes the tables of the apps it may use when it ends. Naming them keeps
# the region list (loaded once per test database) out of the flush.
APPS = ["ektp.accounts", "ektp.audit", "ektp.devices", "ektp.supplies"]
concurrent = pytest.mark.django_db(transaction=True, available_apps=APPS)


def _in_memory_sqlite_lock():
    """SQLite's test database lives in memory with a shared cache, where a second writer fails
    at once ("database table is locked") instead of waiting as it does on the WAL file in
    production; there the threads take turns, as SQLite's one write lock would make them."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return threading.Lock()
    return nullcontext()


def run_at_once(work, count: int = THREADS) -> list:
    """Run ``work(index)`` in ``count`` threads released together; each result, or the
    exception it raised."""
    start, one_writer = threading.Barrier(count, timeout=30), _in_memory_sqlite_lock()

    def one(index: int):
        try:
            start.wait()
            with one_writer:
                return work(index)
        except Exception as exc:  # noqa: BLE001 - the caller inspects each outcome
            return exc
        finally:
            connection.close()  # each thread has its own connection; leave none open

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def codes(outcomes: list) -> list[str]:
    return sorted(o.code for o in outcomes if isinstance(o, Conflict))


@concurrent
def test_eight_prints_on_five_blanks_five_win_and_three_get_blank_out():
    office = make_office("KEL-NAMOSAIN", NAMOSAIN, kind="kelurahan")
    receive_blanks(office, 5)

    outcomes = run_at_once(lambda n: services.blank_take(
        actor=None, office_id=office.pk, first_card=True, serial=None, reference=f"cetak {n}"))

    serials = [o.serial for o in outcomes if isinstance(o, BlankCard)]
    assert len(serials) == 5 and len(set(serials)) == 5  # no serial used twice
    assert codes(outcomes) == ["blank_out"] * 3
    assert selectors.balance(office, "blank") == 0
    assert BlankCard.objects.filter(status="used").count() == 5
    assert StockMovement.objects.filter(kind=Kind.CONSUMED).count() == 5
    assert selectors.ledger_mismatches() == []


@concurrent
def test_prints_scanning_the_same_serial_use_it_once():
    office = make_office("KEL-NAMOSAIN", NAMOSAIN, kind="kelurahan")
    receive_blanks(office, 3)

    outcomes = run_at_once(lambda n: services.blank_take(
        actor=None, office_id=office.pk, first_card=True, serial="KTP25-0000002",
        reference=f"cetak {n}"), count=4)

    assert sum(isinstance(o, BlankCard) for o in outcomes) == 1
    assert codes(outcomes) == ["blank_serial_used"] * 3
    assert selectors.balance(office, "blank") == 2
    assert selectors.ledger_mismatches() == []


@concurrent
def test_eight_prints_on_three_ribbon_units_take_all_or_nothing(settings):
    settings.EKTP_RIBBON_YIELD = 3
    office = make_office("KEL-NAMOSAIN", NAMOSAIN, kind="kelurahan")
    receive_rolls(office, ribbons=1, films=1)

    outcomes = run_at_once(lambda n: services.consumables_take(
        actor=None, office_id=office.pk, reference=f"cetak {n}"))

    assert codes(outcomes) == ["ribbon_out"] * 5
    assert selectors.balance(office, "ribbon") == 0
    assert selectors.balance(office, "film") == settings.EKTP_FILM_YIELD - 3
    assert selectors.ledger_mismatches() == []


@concurrent
def test_concurrent_retries_of_one_allocation_store_it_once():
    office = make_office("DINAS-5371")

    outcomes = run_at_once(lambda n: receive_blanks(office, 10, idempotency_key="alloc-1"),
                           count=4)

    assert not [o for o in outcomes if isinstance(o, Exception)], [
        (type(o).__name__, getattr(o, "code", ""), str(o)) for o in outcomes]
    assert len({o.pk for o in outcomes}) == 1
    assert StockMovement.objects.count() == 1
    assert BlankCard.objects.count() == 10
    assert selectors.balance(office, "blank") == 10


@concurrent
def test_concurrent_retries_of_one_transfer_move_it_once():
    """Only 4 blanks: a retry that ran again after the first had committed would find too
    few and must answer with the first transfer, not ``stock_insufficient``."""
    dinas = make_office("DINAS-5371")
    kelurahan = make_office("KEL-NAMOSAIN", NAMOSAIN, kind="kelurahan")
    receive_blanks(dinas, 4)

    outcomes = run_at_once(lambda n: services.stock_transfer(
        actor=None, from_office_id=dinas.pk, to_office_id=kelurahan.pk, item="blank",
        quantity=3, reference="BA-1", idempotency_key="transfer-1"), count=4)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert len({o.pk for o in outcomes}) == 1
    assert selectors.balance(kelurahan, "blank") == 3
    assert selectors.ledger_mismatches() == []


@concurrent
def test_opposite_transfers_and_prints_at_once_keep_the_ledger_balanced():
    dinas = make_office("DINAS-5371")
    kelurahan = make_office("KEL-NAMOSAIN", NAMOSAIN, kind="kelurahan")
    receive_blanks(dinas, 20)
    receive_blanks(kelurahan, 20, first=21)

    def work(n: int):
        if n % 3 == 2:
            return services.blank_take(actor=None, office_id=kelurahan.pk, first_card=False,
                                       serial=None, reference=f"cetak {n}")
        source, target = (dinas, kelurahan) if n % 3 == 0 else (kelurahan, dinas)
        return services.stock_transfer(actor=None, from_office_id=source.pk,
                                       to_office_id=target.pk, item="blank", quantity=3,
                                       reference=f"BA-{n}")

    outcomes = run_at_once(work, count=9)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert selectors.balance(dinas, "blank") + selectors.balance(kelurahan, "blank") == 40 - 3
    for office in (dinas, kelurahan):
        in_stock = BlankCard.objects.filter(office=office, status="in_stock").count()
        assert in_stock == selectors.balance(office, "blank")
    assert selectors.ledger_mismatches() == []
