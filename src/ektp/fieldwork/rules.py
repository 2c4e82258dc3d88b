"""Pure rules of field verification (no Django): campaign sources, visit outcomes and their
order, what each outcome needs, and the first-time eligible (pemula) birth window.

An entry (one resident on a campaign list) starts unvisited. A visit records an outcome; a
resident found absent (unknown) or invited (present) may be visited again, but a move or a
death changes the register and closes the entry for good (ALLOWED_TRANSITIONS).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

NOT_RECORDED = "not_recorded"
FIRST_TIME = "first_time"
SOURCES = frozenset({NOT_RECORDED, FIRST_TIME})

UNVISITED = ""
PRESENT = "present"
MOVED = "moved"
DIED = "died"
UNKNOWN = "unknown"
OUTCOMES = (PRESENT, MOVED, DIED, UNKNOWN)
FINAL = frozenset({MOVED, DIED})

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    UNVISITED: frozenset(OUTCOMES),
    UNKNOWN: frozenset(OUTCOMES),
    PRESENT: frozenset(OUTCOMES),
    MOVED: frozenset(),
    DIED: frozenset(),
}

WAJIB_KTP_AGE = 17  # UU 24/2013 Pasal 63(1), as residents.rules
MAX_MONTHS_AHEAD = 24
MAX_INVITE_DAYS_AHEAD = 90  # an invitation to record further out is not an invitation
# Made by the client (a UUID, or the station's own id): letters, digits, "-" and "_".
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class FieldworkRuleError(Exception):
    """A refusal with a stable snake_case ``code``; ``message`` is English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class VisitReport:
    """What the officer reports; the fields each outcome needs are checked by ``check_visit``."""

    outcome: str
    visited_on: date
    invited_for: date | None = None
    died_on: date | None = None
    document_ref: str = ""
    to_village_code: str = ""


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def check_client_id(client_id: str) -> str:
    text = str(client_id or "").strip()
    if not _CLIENT_ID.fullmatch(text):
        raise FieldworkRuleError(
            "client_id_invalid", "A visit id has 8 to 64 letters, digits, '-' or '_'.")
    return text


def check_source(source: str, months_ahead: int | None) -> int | None:
    """The months ahead a first-time list looks (1..24); None for the not-recorded list."""
    if source not in SOURCES:
        raise FieldworkRuleError("source_unknown", f"Unknown campaign source {source!r}.")
    if source == NOT_RECORDED:
        return None
    if (isinstance(months_ahead, bool) or not isinstance(months_ahead, int)
            or not 1 <= months_ahead <= MAX_MONTHS_AHEAD):
        raise FieldworkRuleError(
            "months_invalid", f"A first-time list looks 1 to {MAX_MONTHS_AHEAD} months ahead.")
    return months_ahead


def _check_present(report: VisitReport, today: date) -> None:
    if report.invited_for is None:
        raise FieldworkRuleError("invite_date_required",
                                 "Give the date the resident is invited to record.")
    if report.invited_for < report.visited_on:
        raise FieldworkRuleError("invite_date_past",
                                 "The invitation date cannot be before the visit.")
    if (report.invited_for - today).days > MAX_INVITE_DAYS_AHEAD:
        raise FieldworkRuleError(
            "invite_date_far", f"Invite within {MAX_INVITE_DAYS_AHEAD} days of today.")


def _check_documented(report: VisitReport, today: date) -> None:
    if not report.document_ref.strip():
        raise FieldworkRuleError(
            "document_required",
            "A move needs the SKPWNI reference; a death the akta kematian reference.")
    if report.outcome == MOVED and not report.to_village_code.strip():
        raise FieldworkRuleError("destination_required",
                                 "Give the desa/kelurahan the resident moved to.")
    if report.outcome == DIED:
        if report.died_on is None:
            raise FieldworkRuleError("died_on_required", "Give the date of death.")
        if report.died_on > today:
            raise FieldworkRuleError("died_on_future", "The date of death cannot be in the future.")


def check_visit(report: VisitReport, today: date) -> VisitReport:
    """Refuse a report that lacks what its outcome needs; return it unchanged otherwise."""
    if report.outcome not in OUTCOMES:
        raise FieldworkRuleError("outcome_unknown", f"Unknown visit outcome {report.outcome!r}.")
    if report.visited_on > today:
        raise FieldworkRuleError("visit_date_future", "A visit cannot be dated in the future.")
    if report.outcome == PRESENT:
        _check_present(report, today)
    elif report.outcome in FINAL:
        _check_documented(report, today)
    return report


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def seventeen_cutoff(day: date) -> date:
    """Born on or before this: 17 or older on ``day`` (29 February counts from 1 March, the
    convention of ``residents.rules.age_on``)."""
    year = day.year - WAJIB_KTP_AGE
    try:
        return day.replace(year=year)
    except ValueError:  # ``day`` is 29 February and that year had none
        return date(year, 2, 28)


def first_time_window(today: date, months: int) -> tuple[date, date]:
    """Birth dates (after, up to and including) of those who turn 17 after today and at the
    latest ``months`` months from today: the pemula to invite before their birthday."""
    return seventeen_cutoff(today), seventeen_cutoff(add_months(today, months))


def share(part: int, whole: int) -> float | None:
    """Percentage with one decimal; None when there is nothing to share."""
    return round(100 * part / whole, 1) if whole else None
