"""Part 4: the completion forecast on live data, a what-if, and the blanks to request.

``forecast.run_forecast`` is pure; this module feeds it the region's figures: wajib KTP still to
record, records in penunggalan and print-ready (from the rollups), the recent recording pace,
printer capacity and stock (live), then compares the projected date with a target.
"""

import math
from dataclasses import dataclass, field, replace
from datetime import date

from django.conf import settings
from django.utils.translation import gettext_lazy as _lazy

from ektp.reports import forecast as engine
from ektp.reports.capacity import forecast_resources
from ektp.reports.selectors import Scope, coverage_totals, pace

LIMIT_LABELS = {
    "recording": _lazy("kapasitas perekaman"), "queue": _lazy("antrean PRR"),
    "printers": _lazy("kapasitas printer"), "blanks": _lazy("blangko"),
    "ribbon": _lazy("ribbon"), "film": _lazy("film"),
}
CHART_POINTS = 60


@dataclass(frozen=True)
class WhatIf:
    extra_blanks: int = 0
    blanks_on: date | None = None
    printers_repaired: int = 0
    repaired_on: date | None = None
    extra_days: tuple[date, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.extra_blanks or self.printers_repaired or self.extra_days)


@dataclass
class ForecastView:
    inputs: engine.ForecastInputs
    base: engine.Forecast
    scenario: engine.Forecast | None
    target: date | None
    blanks_for_target: int | None
    chart: dict = field(default_factory=dict)

    @property
    def chosen(self) -> engine.Forecast:
        return self.scenario or self.base

    @property
    def meets_target(self) -> bool | None:
        if self.target is None:
            return None
        done = self.chosen.done_on
        return done is not None and done <= self.target


def forecast_inputs(scope: Scope) -> engine.ForecastInputs:
    totals, resources = coverage_totals(scope), forecast_resources(scope)
    return engine.ForecastInputs(
        start=scope.today,
        to_record=max(0, totals["wajib"] - totals["wajib_recorded"]),
        to_print=totals["prr"], in_dedup=totals["in_dedup"],
        record_per_day=math.ceil(pace(scope)["recorded"]),
        print_per_day=resources["print_per_day"], blanks=resources["blanks"],
        ribbon_prints=resources["ribbon"], film_prints=resources["film"])


def apply_what_if(inputs: engine.ForecastInputs, what_if: WhatIf) -> engine.ForecastInputs:
    deliveries, changes = list(inputs.deliveries), list(inputs.changes)
    if what_if.extra_blanks:
        deliveries.append(engine.Delivery(what_if.blanks_on or inputs.start,
                                          blanks=what_if.extra_blanks))
    if what_if.printers_repaired:
        delta = what_if.printers_repaired * settings.EKTP_PRINTER_CARDS_PER_DAY
        changes.append(engine.CapacityChange(what_if.repaired_on or inputs.start,
                                             print_delta=delta))
    return replace(inputs, deliveries=tuple(deliveries), changes=tuple(changes),
                   extra_working_days=inputs.extra_working_days | frozenset(what_if.extra_days))


def _cumulative(result: engine.Forecast) -> dict[str, int]:
    total, points = 0, {}
    for day in result.days:
        total += day.printed
        points[day.day.isoformat()] = total
    return points


def _chart(view: ForecastView) -> dict:
    base, scenario = _cumulative(view.base), _cumulative(view.scenario) if view.scenario else {}
    days = sorted(set(base) | set(scenario))
    step = max(1, len(days) // CHART_POINTS)
    picked = days[::step] + ([days[-1]] if days and days[-1] not in days[::step] else [])
    if view.target and (not picked or view.target.isoformat() > picked[-1]):
        picked.append(view.target.isoformat())  # the axis reaches the target date
    datasets = [{"label": str(_lazy("Perkiraan")), "data": _carry(base, picked)}]
    if scenario:
        datasets.append({"label": str(_lazy("Skenario")), "data": _carry(scenario, picked)})
    return {"type": "line", "labels": picked, "datasets": datasets,
            "target": view.target.isoformat() if view.target else None}


def _carry(points: dict[str, int], days: list[str]) -> list[int]:
    value, values = 0, []
    for day in days:
        value = points.get(day, value)
        values.append(value)
    return values


def _blanks_needed(inputs: engine.ForecastInputs, target: date) -> int | None:
    """0 when the stock already meets the target; else the engine's search (to 50 blanks)."""
    done = engine.run_forecast(inputs).done_on
    if done is not None and done <= target:
        return 0
    return engine.blanks_needed_by(inputs, target)


def forecast_view(scope: Scope, what_if: WhatIf | None = None,
                  target: date | None = None) -> ForecastView:
    inputs = forecast_inputs(scope)
    base = engine.run_forecast(inputs)
    scenario, without_blanks = None, inputs
    if what_if and not what_if.empty:
        without_blanks = apply_what_if(inputs, replace(what_if, extra_blanks=0))
        inputs = apply_what_if(inputs, what_if)
        scenario = engine.run_forecast(inputs)
    # The blanks to request: with the scenario's printers and days, without its blanks.
    needed = _blanks_needed(without_blanks, target) if target else None
    view = ForecastView(inputs, base, scenario, target, needed)
    view.chart = _chart(view)
    return view


def forecast_summary(view: ForecastView) -> dict:
    """The figures the page, the API and the monthly report print."""
    chosen = view.chosen
    return {
        "start": view.inputs.start, "done_on": chosen.done_on, "recorded_on": chosen.recorded_on,
        "blocked_by": chosen.blocked_by, "main_limit": chosen.main_limit,
        "main_limit_label": str(LIMIT_LABELS.get(chosen.main_limit, "")),
        "base_done_on": view.base.done_on, "target": view.target,
        "meets_target": view.meets_target, "blanks_for_target": view.blanks_for_target,
        "to_record": view.inputs.to_record, "to_print": view.inputs.to_print,
        "in_dedup": view.inputs.in_dedup, "record_per_day": view.inputs.record_per_day,
        "print_per_day": view.inputs.print_per_day, "blanks": view.inputs.blanks,
        "ribbon": view.inputs.ribbon_prints, "film": view.inputs.film_prints,
    }
