from dataclasses import replace
from datetime import date, timedelta

from ektp.reports.forecast import (
    CapacityChange,
    Delivery,
    ForecastInputs,
    blanks_needed_by,
    run_forecast,
)

MONDAY = date(2026, 1, 5)


def inputs(**overrides) -> ForecastInputs:
    base = ForecastInputs(start=MONDAY, to_record=0, to_print=1000, in_dedup=0,
                          record_per_day=100, print_per_day=200, blanks=10_000,
                          ribbon_prints=10_000, film_prints=10_000, single_share=1.0)
    return replace(base, **overrides)


def test_printers_bound_a_queue_with_plenty_of_stock():
    forecast = run_forecast(inputs())
    # 1000 cards at 200 a day: five working days, Monday to Friday.
    assert forecast.done_on == MONDAY + timedelta(days=4)
    assert forecast.main_limit == "printers"


def test_weekends_are_not_working_days_unless_added():
    forecast = run_forecast(inputs(to_print=1200))
    assert forecast.done_on == MONDAY + timedelta(days=7)  # the next Monday
    saturday = MONDAY + timedelta(days=5)
    drive = run_forecast(inputs(to_print=1200, extra_working_days=frozenset({saturday})))
    assert drive.done_on == saturday


def test_running_out_of_blanks_blocks_the_forecast_and_a_delivery_unblocks_it():
    blocked = run_forecast(inputs(blanks=500))
    assert blocked.done_on is None and blocked.blocked_by == "blanks"
    delivery = Delivery(MONDAY + timedelta(days=7), blanks=500)
    later = run_forecast(inputs(blanks=500, deliveries=(delivery,)))
    assert later.done_on == MONDAY + timedelta(days=9)  # 500 in 2.5 days, then 500 after


def test_ribbon_and_film_bind_like_blanks():
    assert run_forecast(inputs(ribbon_prints=300)).blocked_by == "ribbon"
    assert run_forecast(inputs(film_prints=300)).blocked_by == "film"


def test_recording_feeds_printing_after_the_dedup_lag():
    forecast = run_forecast(inputs(to_print=0, to_record=300, record_per_day=100,
                                   dedup_lag_days=1))
    assert forecast.recorded_on == MONDAY + timedelta(days=2)
    assert forecast.done_on == MONDAY + timedelta(days=3)  # recorded Wed, printed Thu
    assert forecast.days[0].printed == 0 and forecast.days[1].printed == 100


def test_a_repaired_printer_brings_the_date_forward():
    base = run_forecast(inputs(to_print=2000))
    repaired = run_forecast(inputs(to_print=2000, changes=(
        CapacityChange(MONDAY + timedelta(days=1), print_delta=200),)))
    assert repaired.done_on < base.done_on


def test_blanks_needed_for_a_target_date():
    scenario = inputs(to_print=2000, blanks=400, print_per_day=400)
    target = MONDAY + timedelta(days=4)
    needed = blanks_needed_by(scenario, target, step=10)
    assert 1590 <= needed <= 1610
    with_them = run_forecast(replace(scenario, deliveries=(Delivery(MONDAY, blanks=needed),)))
    assert with_them.done_on <= target


def test_no_number_of_blanks_helps_when_printers_bind():
    scenario = inputs(to_print=5000, blanks=0, print_per_day=200)
    assert blanks_needed_by(scenario, MONDAY + timedelta(days=4)) is None


def test_nothing_to_do_finishes_on_the_first_working_day():
    forecast = run_forecast(inputs(to_print=0))
    assert forecast.done_on == MONDAY
