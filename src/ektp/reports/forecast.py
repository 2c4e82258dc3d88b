"""When will every wajib-KTP resident be recorded and hold a printed card? Pure: no Django.

A day-by-day simulation, simple enough for a head of office to follow: on each working day
the recording points record up to their capacity; recordings become print-ready after the
penunggalan lag (a small share turn out duplicates); the printers print up to their capacity,
limited by blanks, ribbon and film in stock, with deliveries arriving on their dates. The day
the last card is printed is the forecast; whatever bound printing most often is the limit.
"""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

HORIZON_DAYS = 3 * 365
LIMITS = ("recording", "queue", "printers", "blanks", "ribbon", "film")


@dataclass(frozen=True)
class Delivery:
    day: date
    blanks: int = 0
    ribbon_prints: int = 0
    film_prints: int = 0


@dataclass(frozen=True)
class CapacityChange:
    """From ``day`` on, printing (cards/day) or recording (people/day) capacity changes by a
    delta: a printer repaired (+200), a recording kit broken (-60)."""

    day: date
    print_delta: int = 0
    record_delta: int = 0


@dataclass(frozen=True)
class ForecastInputs:
    start: date
    to_record: int  # wajib KTP with no recording yet
    to_print: int  # recorded and print-ready (PRR) now
    in_dedup: int  # recorded, waiting for penunggalan
    record_per_day: int
    print_per_day: int
    blanks: int
    ribbon_prints: int
    film_prints: int
    dedup_lag_days: int = 1
    single_share: float = 0.99  # recordings that penunggalan finds single
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday..Friday
    deliveries: tuple[Delivery, ...] = ()
    changes: tuple[CapacityChange, ...] = ()
    extra_working_days: frozenset[date] = frozenset()  # e.g. a Saturday recording drive


@dataclass
class DayResult:
    day: date
    recorded: int
    printed: int
    printable_left: int
    blanks_left: int
    limit: str


@dataclass
class Forecast:
    done_on: date | None  # the last card printed; None if not within the horizon
    recorded_on: date | None  # the last wajib-KTP resident recorded
    blocked_by: str | None  # what stopped progress for good (e.g. "blanks"), if anything
    limit_days: dict[str, int] = field(default_factory=dict)
    days: list[DayResult] = field(default_factory=list)

    @property
    def main_limit(self) -> str | None:
        return max(self.limit_days, key=self.limit_days.get) if self.limit_days else None


@dataclass
class _State:
    to_record: int
    printable: int
    blanks: int
    ribbon: int
    film: int
    record_per_day: int
    print_per_day: int
    pipeline: dict[date, float] = field(default_factory=dict)  # day -> records turning PRR


def _is_working(inputs: ForecastInputs, day: date) -> bool:
    return day.weekday() in inputs.working_weekdays or day in inputs.extra_working_days


def _apply_events(inputs: ForecastInputs, state: _State, day: date) -> None:
    for delivery in inputs.deliveries:
        if delivery.day == day:
            state.blanks += delivery.blanks
            state.ribbon += delivery.ribbon_prints
            state.film += delivery.film_prints
    for change in inputs.changes:
        if change.day == day:
            state.print_per_day = max(0, state.print_per_day + change.print_delta)
            state.record_per_day = max(0, state.record_per_day + change.record_delta)
    state.printable += int(round(state.pipeline.pop(day, 0)))


def _print_today(state: _State) -> tuple[int, str]:
    bounds = {"queue": state.printable, "printers": state.print_per_day,
              "blanks": state.blanks, "ribbon": state.ribbon, "film": state.film}
    limit = min(bounds, key=bounds.get)
    printed = max(0, bounds[limit])
    state.printable -= printed
    state.blanks -= printed
    state.ribbon -= printed
    state.film -= printed
    return printed, limit


def _record_today(inputs: ForecastInputs, state: _State, day: date) -> int:
    recorded = min(state.to_record, state.record_per_day)
    if not recorded:
        return 0
    state.to_record -= recorded
    ready_on = day + timedelta(days=inputs.dedup_lag_days)
    state.pipeline[ready_on] = state.pipeline.get(ready_on, 0) + recorded * inputs.single_share
    return recorded


def _pipeline_empty(state: _State) -> bool:
    return not any(round(v) for v in state.pipeline.values())


def _nothing_left(state: _State) -> bool:
    return state.to_record == 0 and state.printable == 0 and _pipeline_empty(state)


def _future_help(inputs: ForecastInputs, day: date) -> bool:
    return any(d.day > day for d in inputs.deliveries) or any(
        c.day > day for c in inputs.changes)


def run_forecast(inputs: ForecastInputs) -> Forecast:
    state = _State(inputs.to_record, inputs.to_print, inputs.blanks, inputs.ribbon_prints,
                   inputs.film_prints, inputs.record_per_day, inputs.print_per_day,
                   {inputs.start: inputs.in_dedup * inputs.single_share})
    forecast = Forecast(done_on=None, recorded_on=None, blocked_by=None)
    day = inputs.start
    for _ in range(HORIZON_DAYS):
        _apply_events(inputs, state, day)
        if _is_working(inputs, day):
            recorded = _record_today(inputs, state, day)
            printed, limit = _print_today(state)
            forecast.limit_days[limit] = forecast.limit_days.get(limit, 0) + 1
            forecast.days.append(DayResult(day, recorded, printed, state.printable,
                                           state.blanks, limit))
            if state.to_record == 0 and forecast.recorded_on is None:
                forecast.recorded_on = day
            if _nothing_left(state):
                forecast.done_on = day
                return forecast
            stuck = printed == 0 and recorded == 0 and _pipeline_empty(state)
            if stuck and not _future_help(inputs, day):
                forecast.blocked_by = limit
                return forecast
        day += timedelta(days=1)
    return forecast


def blanks_needed_by(inputs: ForecastInputs, target: date, *, arrive_on: date | None = None,
                     step: int = 50) -> int | None:
    """The fewest extra blanks (a delivery on ``arrive_on``, default the start) with which the
    forecast meets ``target``; None when blanks alone cannot (printers or recording bind)."""
    arrive_on = arrive_on or inputs.start

    def done_with(extra: int) -> date | None:
        delivery = Delivery(arrive_on, blanks=extra)
        return run_forecast(replace(inputs, deliveries=(*inputs.deliveries, delivery))).done_on

    ceiling = inputs.to_record + inputs.to_print + inputs.in_dedup
    best = done_with(ceiling)
    if best is None or best > target:
        return None
    low, high = 0, ceiling
    while high - low > step:
        middle = (low + high) // 2
        finished = done_with(middle)
        if finished is not None and finished <= target:
            high = middle
        else:
            low = middle
    return high
