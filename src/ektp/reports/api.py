"""The reports API (read only): coverage, backlog, flow, queue growth, stock and capacity,
forecast with what-if, election readiness. Aggregates only.

No permission: 403 ``forbidden``; ``region`` outside the user's region or unknown: 404
``region_unknown``; bad parameters: 422 ``validation_error`` or 400 with a stable code.
"""

from datetime import date

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from ektp.errors import DomainError
from ektp.reports import selectors
from ektp.reports.capacity import stock_and_capacity
from ektp.reports.planning import WhatIf, forecast_summary, forecast_view
from ektp.reports.schemas import ErrorOut, ForecastOut, TableOut
from ektp.reports.selectors import REPORT_VIEW, STOCK_VIEW
from ektp.reports.tables import Table

router = Router(tags=["reports"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _scope(request, region: str | None, action: str = REPORT_VIEW) -> selectors.Scope:
    user = getattr(request, "auth", None) or request.user
    return selectors.report_scope(user, action, region)


def _out(scope: selectors.Scope, table: Table) -> dict:
    return {"key": table.key, "title": table.title, "region_code": scope.code,
            "computed_at": selectors.computed_at(scope),
            "columns": [{"key": key, "label": str(label)} for key, label in table.columns],
            "rows": table.rows, "total": table.total}


@router.get("/coverage", response={200: TableOut, **ERRORS})
def coverage(request, region: str | None = None, months: int = Query(6, ge=1, le=24)):
    scope = _scope(request, region)
    return _out(scope, selectors.coverage(scope, months))


@router.get("/backlog", response={200: TableOut, **ERRORS})
def backlog(request, region: str | None = None):
    scope = _scope(request, region)
    return _out(scope, selectors.backlog(scope))


@router.get("/flow", response={200: TableOut, **ERRORS})
def flow(request, region: str | None = None, days: int = Query(30, ge=1, le=120)):
    scope = _scope(request, region)
    return _out(scope, selectors.flow(scope, days))


@router.get("/growth", response={200: TableOut, **ERRORS})
def growth(request, region: str | None = None, days: int = Query(14, ge=1, le=120)):
    scope = _scope(request, region)
    return _out(scope, selectors.queue_growth(scope, days))


@router.get("/stock", response={200: TableOut, **ERRORS})
def stock(request, region: str | None = None):
    scope = _scope(request, region, STOCK_VIEW)
    return _out(scope, stock_and_capacity(scope))


@router.get("/election", response={200: TableOut, **ERRORS})
def election(request, day: date, region: str | None = None):
    """``day``: the election date (today up to 24 months ahead)."""
    scope = _scope(request, region)
    return _out(scope, selectors.election(scope, day))


class ForecastQuery(Schema):
    region: str | None = None
    target: date | None = None
    extra_blanks: int = Field(0, ge=0, le=10_000_000)
    blanks_on: date | None = None
    printers_repaired: int = Field(0, ge=0, le=100)
    repaired_on: date | None = None
    extra_days: list[date] = Field(default_factory=list, max_length=60)


@router.get("/forecast", response={200: ForecastOut, **ERRORS})
def forecast(request, query: Query[ForecastQuery]):
    scope = _scope(request, query.region)
    if query.target is not None and query.target < scope.today:
        raise DomainError(_("Tanggal target sudah lewat."), code="target_in_past")
    what_if = WhatIf(extra_blanks=query.extra_blanks, blanks_on=query.blanks_on,
                     printers_repaired=query.printers_repaired, repaired_on=query.repaired_on,
                     extra_days=tuple(query.extra_days))
    view = forecast_view(scope, what_if, query.target)
    summary = forecast_summary(view)
    summary.pop("main_limit_label")
    return {**summary, "region_code": scope.code, "chart": view.chart}
