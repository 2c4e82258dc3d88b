"""Pure rules of blank logistics (no Django): serial ranges, which earmark a print may use,
roll units, and how much to ask for. The values mirror ``models.Earmark``."""

import math

GENERAL = "general"
FIRST = "first"
REPLACEMENT = "replacement"

# Serials are prefix + a zero-padded number ("KTP25-0000001"); a fixed width keeps the text
# order of one prefix equal to the number order, so "lowest serial" is a plain ORDER BY.
SERIAL_DIGITS = 7
MAX_SERIAL_LENGTH = 32


def serial_range(prefix: str, first: int, quantity: int) -> list[str]:
    """The serials of a delivered range; ValueError when they cannot be written as serials."""
    prefix = (prefix or "").strip()
    if not prefix or first < 0 or quantity <= 0:
        raise ValueError("a range needs a prefix, a first number >= 0 and a quantity")
    last = first + quantity - 1
    if last >= 10**SERIAL_DIGITS:
        raise ValueError(f"serial numbers have at most {SERIAL_DIGITS} digits")
    if len(prefix) + SERIAL_DIGITS > MAX_SERIAL_LENGTH:
        raise ValueError("the prefix is too long")
    return [f"{prefix}{number:0{SERIAL_DIGITS}d}" for number in range(first, last + 1)]


def earmarks_for(first_card: bool) -> tuple[str, str]:
    """Earmarks a print may draw on, in order: its own earmark first, so general stock is
    kept for whoever has no earmarked stock left."""
    return (FIRST if first_card else REPLACEMENT, GENERAL)


def earmark_allows(earmark: str, first_card: bool) -> bool:
    return earmark in earmarks_for(first_card)


def rolls(units: int, per_roll: int) -> float:
    return round(units / per_roll, 2)


def suggested_units(*, backlog: int, daily_use: float, target_days: int, in_stock: int) -> int:
    """Enough to print the waiting backlog and then ``target_days`` of normal use, minus what
    is on the shelf; never negative."""
    needed = backlog + math.ceil(daily_use * target_days)
    return max(0, needed - in_stock)


def units_to_rolls(units: int, per_roll: int) -> int:
    """Rolls are delivered whole: round up."""
    return math.ceil(units / per_roll)
