"""Pure rules of printing drives (no Django): the window, targets, when a point is stalled and
how short of its target its stock is."""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_DRIVE_DAYS = 14  # a drive is a push of days, not a standing programme
MIN_STALL_MINUTES, MAX_STALL_MINUTES = 5, 480
MAX_TARGET = 100_000  # Depok's whole 50,000 at one point would still fit
NAME_MAX = 120

PLANNED, RUNNING, ENDED = "planned", "running", "ended"


class DriveRuleError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise DriveRuleError("drive_window_invalid", "A drive ends after it starts.")
    if ends_at - starts_at > timedelta(days=MAX_DRIVE_DAYS):
        raise DriveRuleError("drive_too_long", f"A drive lasts at most {MAX_DRIVE_DAYS} days.")


def check_stall_minutes(minutes) -> int:
    if (isinstance(minutes, bool) or not isinstance(minutes, int)
            or not MIN_STALL_MINUTES <= minutes <= MAX_STALL_MINUTES):
        raise DriveRuleError(
            "stall_minutes_invalid",
            f"A point is stalled after {MIN_STALL_MINUTES} to {MAX_STALL_MINUTES} minutes.")
    return minutes


def check_target(target) -> int:
    if isinstance(target, bool) or not isinstance(target, int) or not 1 <= target <= MAX_TARGET:
        raise DriveRuleError("target_invalid", f"A target is 1 to {MAX_TARGET} cards.")
    return target


def phase(now: datetime, starts_at: datetime, ends_at: datetime) -> str:
    if now < starts_at:
        return PLANNED
    return RUNNING if now < ends_at else ENDED


def is_stalled(*, now: datetime, starts_at: datetime, ends_at: datetime,
               last_print_at: datetime | None, waiting: int, stall_minutes: int) -> bool:
    """While the drive runs, a point with records waiting that has printed nothing for
    ``stall_minutes`` (since the start, if it never printed)."""
    if phase(now, starts_at, ends_at) != RUNNING or waiting <= 0:
        return False
    since = max(last_print_at or starts_at, starts_at)
    return now - since >= timedelta(minutes=stall_minutes)


def shortfall(*, target: int, printed: int, in_stock: int) -> int:
    """Blanks missing to reach the target: what is left to print minus what is on the shelf."""
    return max(0, target - printed - in_stock)


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None
