"""Reads of the stock: the summary, use and cover from a 14-day history, the day stock runs out,
the low flag, the daily published figure and the justification of a request."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from ektp.supplies import rules, selectors, services
from ektp.supplies.models import Earmark, StockMovement
from ektp.supplies.tests.factories import (
    FILM_YIELD,
    KOTA_KUPANG,
    NAMOSAIN,
    RIBBON_YIELD,
    receive_blanks,
    receive_rolls,
)

pytestmark = pytest.mark.django_db
Kind = StockMovement.Kind


def backdate_last(count: int, at: datetime) -> None:
    """Move the ``count`` newest ledger rows to ``at``, as if they had been written then."""
    ids = list(StockMovement.objects.order_by("-id").values_list("id", flat=True)[:count])
    StockMovement.objects.filter(id__in=ids).update(at=at)


def print_cards(office, count: int) -> None:
    for n in range(count):
        services.blank_take(actor=None, office_id=office.pk, first_card=True, serial=None,
                            reference=f"cetak {n}")


@pytest.fixture
def fourteen_days(kelurahan):
    """200 blanks received 20 days ago; 10 printed on each of the last 14 days, and 5 more
    before the window (they must not count): 55 left."""
    now = timezone.now()
    receive_blanks(kelurahan, 200)
    backdate_last(1, now - timedelta(days=20))
    print_cards(kelurahan, 5)
    backdate_last(5, now - timedelta(days=15))
    for days_ago in range(14):
        print_cards(kelurahan, 10)
        backdate_last(10, now - timedelta(days=days_ago, hours=1))
    return kelurahan


def test_daily_use_is_the_trailing_average_of_consumption(fourteen_days):
    assert selectors.daily_use(fourteen_days, "blank") == 10
    assert selectors.daily_use(fourteen_days, "blank", days=7) == 10
    assert selectors.daily_use(fourteen_days, "ribbon") == 0


def test_days_of_cover_and_stockout_date_follow_the_recent_pace(fourteen_days):
    assert selectors.balance(fourteen_days, "blank") == 55
    assert selectors.days_of_cover(fourteen_days, "blank") == 5.5
    # 10 a day: 5 full days, the last 5 blanks go on the sixth day.
    assert selectors.stockout_date(fourteen_days, "blank") == (
        timezone.localdate() + timedelta(days=5))
    assert selectors.is_low(fourteen_days, "blank")  # 5.5 days < EKTP_STOCK_LOW_DAYS (14)


def test_a_large_stock_is_not_low(fourteen_days, settings):
    receive_blanks(fourteen_days, 500, first=1001)
    assert selectors.days_of_cover(fourteen_days, "blank") == 55.5
    assert not selectors.is_low(fourteen_days, "blank")
    settings.EKTP_STOCK_LOW_DAYS = 60
    assert selectors.is_low(fourteen_days, "blank")


def test_without_recent_use_there_is_no_stockout_date(kelurahan):
    receive_blanks(kelurahan, 10)
    assert selectors.days_of_cover(kelurahan, "blank") is None
    assert selectors.stockout_date(kelurahan, "blank") is None
    assert not selectors.is_low(kelurahan, "blank")
    assert selectors.is_low(kelurahan, "ribbon")  # none at all: printing cannot start


def test_the_summary_gives_each_item_in_cards_and_rolls(kelurahan):
    receive_blanks(kelurahan, 6, earmark="first")
    receive_blanks(kelurahan, 4, first=7)
    receive_rolls(kelurahan, ribbons=2, films=1)
    print_cards(kelurahan, 2)
    services.consumables_take(actor=None, office_id=kelurahan.pk, reference="cetak")
    lines = {line["item"]: line for line in selectors.stock_summary(kelurahan)}
    assert list(lines) == ["blank", "ribbon", "film"]
    blank, ribbon, film = lines["blank"], lines["ribbon"], lines["film"]
    assert (blank["quantity"], blank["rolls"], blank["unit"]) == (8, None, "cards")
    assert blank["by_earmark"] == {"first": 4, "general": 4}
    assert blank["daily_use"] == round(2 / 14, 2)
    assert (ribbon["quantity"], ribbon["rolls"]) == (2 * RIBBON_YIELD - 1,
                                                     round((2 * RIBBON_YIELD - 1) / RIBBON_YIELD,
                                                           2))
    assert film["quantity"] == FILM_YIELD - 1
    assert film["stockout_date"] is not None


# --- the published daily figure ---------------------------------------------------------------

DAY1, DAY2 = date(2025, 3, 10), date(2025, 3, 11)


def at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def two_days(dinas, kelurahan, depok):
    """Day 1: the Dinas receives 100 and passes 30 to the kelurahan. Day 2: the kelurahan
    prints 5, one of them spoiled; Depok (another city) receives 50."""
    receive_blanks(dinas, 100)
    backdate_last(1, at(DAY1, 8))
    services.stock_transfer(actor=None, from_office_id=dinas.pk, to_office_id=kelurahan.pk,
                            item="blank", quantity=30, reference="BA-1")
    backdate_last(2, at(DAY1, 10))
    print_cards(kelurahan, 5)
    services.blank_spoil(actor=None, serial="KTP25-0000001", reason="misprint")
    backdate_last(6, at(DAY2, 9))
    receive_blanks(depok, 50, first=501)
    backdate_last(1, at(DAY2, 9))
    return dinas, kelurahan


def figures(figure: dict) -> tuple:
    return tuple(figure[k] for k in ("received", "transferred", "used", "spoiled", "in_stock"))


def test_the_city_publishes_what_came_in_went_out_and_is_left(two_days):
    dinas, kelurahan = two_days
    day1 = selectors.published_stock_figure(KOTA_KUPANG, DAY1)
    day2 = selectors.published_stock_figure(KOTA_KUPANG, DAY2)
    # Transfers inside the city cancel out; Depok is not counted.
    assert figures(day1) == (100, 0, 0, 0, 100)
    assert figures(day2) == (0, 0, 5, 1, 95)
    assert day2["in_stock"] == day1["in_stock"] + day2["received"] + day2["transferred"] - \
        day2["used"]
    per_office = {o["office_code"]: figures(o) for o in day1["offices"]}
    assert per_office == {dinas.code: (100, -30, 0, 0, 70), kelurahan.code: (0, 30, 0, 0, 30)}


def test_a_kelurahan_publishes_its_own_figure(two_days):
    _dinas, kelurahan = two_days
    assert figures(selectors.published_stock_figure(NAMOSAIN, DAY1)) == (0, 30, 0, 0, 30)
    assert figures(selectors.published_stock_figure(NAMOSAIN, DAY2)) == (0, 0, 5, 1, 25)
    before = selectors.published_stock_figure(NAMOSAIN, DAY1 - timedelta(days=1))
    assert figures(before) == (0, 0, 0, 0, 0) and before["offices"] == []


# --- requests ---------------------------------------------------------------------------------


def test_a_request_suggestion_explains_backlog_and_use(fourteen_days):
    suggestion = selectors.request_suggestion(fourteen_days, "blank", 30, backlog=400)
    # 400 waiting + 30 days x 10 a day - 55 on the shelf.
    assert suggestion["quantity"] == 400 + 300 - 55
    text = suggestion["justification"]
    for fact in ("55", "400", "10.0", "645", "30"):
        assert fact in text


def test_ribbon_is_requested_in_whole_rolls(kelurahan):
    receive_rolls(kelurahan, ribbons=1, films=0)
    suggestion = selectors.request_suggestion(kelurahan, "ribbon", 30, backlog=RIBBON_YIELD + 1)
    assert suggestion["quantity"] == 1  # 1 unit short: one more roll
    assert "no recent use" in suggestion["justification"]


def test_a_full_shelf_needs_no_request(kelurahan):
    receive_blanks(kelurahan, 100)
    assert selectors.request_suggestion(kelurahan, "blank", 30, backlog=20)["quantity"] == 0


# --- pure rules -------------------------------------------------------------------------------


def test_serial_ranges_are_zero_padded_and_bounded():
    assert rules.serial_range("KTP25-", 9, 3) == ["KTP25-0000009", "KTP25-0000010",
                                                  "KTP25-0000011"]
    for bad in (("", 1, 1), ("A", -1, 1), ("A", 1, 0), ("A", 9_999_999, 2), ("A" * 26, 1, 1)):
        with pytest.raises(ValueError):
            rules.serial_range(*bad)


def test_rule_values_mirror_the_model_choices():
    assert {rules.GENERAL, rules.FIRST, rules.REPLACEMENT} == set(Earmark.values)
    assert rules.earmarks_for(True) == ("first", "general")
    assert rules.earmarks_for(False) == ("replacement", "general")
