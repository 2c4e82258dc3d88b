"""``stock_overview``: the home pages' stock of many offices in two queries, agreeing with the
one-office reads (``balance``, ``days_of_cover``, ``is_low``)."""

import pytest

from ektp.supplies import selectors, services
from ektp.supplies.tests.factories import receive_blanks, receive_rolls

pytestmark = pytest.mark.django_db


def _print(office, count: int) -> None:
    for n in range(count):
        services.blank_take(actor=None, office_id=office.pk, first_card=True, serial=None,
                            reference=f"cetak {n}")


@pytest.fixture
def offices(dinas, kelurahan, depok):
    receive_blanks(kelurahan, 30)
    receive_rolls(kelurahan)
    _print(kelurahan, 14)  # 1 a day over the window: 16 blanks last 16 days
    receive_blanks(depok, 3, prefix="DPK-")
    return [dinas, kelurahan, depok]


def test_overview_agrees_with_the_one_office_reads(offices):
    overview = selectors.stock_overview(offices)
    for office in offices:
        for line in overview[office.pk]:
            item = line["item"]
            assert line["quantity"] == selectors.balance(office, item)
            assert line["low"] == selectors.is_low(office, item)
            cover = selectors.days_of_cover(office, item)
            assert line["days_of_cover"] == (None if cover is None else round(cover, 1))


def test_overview_flags(offices):
    dinas, kelurahan, depok = offices
    overview = selectors.stock_overview(offices)
    low = {office.code: [line["item"] for line in overview[office.pk] if line["low"]]
           for office in offices}
    assert low == {dinas.code: ["blank", "ribbon", "film"], kelurahan.code: [],
                   depok.code: ["ribbon", "film"]}


def test_overview_takes_two_queries_whatever_the_offices(offices, django_assert_num_queries):
    with django_assert_num_queries(2):
        selectors.stock_overview(offices)
