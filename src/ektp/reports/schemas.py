"""Shapes of the reports API: every report is a table (columns, rows, total) of aggregates."""

from datetime import date, datetime
from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    detail: str | list | dict
    code: str


class ColumnOut(Schema):
    key: str
    label: str


class TableOut(Schema):
    key: str
    title: str
    region_code: str
    computed_at: datetime | None
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None


class ForecastOut(Schema):
    region_code: str
    start: date
    done_on: date | None
    base_done_on: date | None
    recorded_on: date | None
    blocked_by: str | None
    main_limit: str | None
    target: date | None
    meets_target: bool | None
    blanks_for_target: int | None
    to_record: int
    to_print: int
    in_dedup: int
    record_per_day: int
    print_per_day: int
    blanks: int
    ribbon: int
    film: int
    chart: dict[str, Any]
