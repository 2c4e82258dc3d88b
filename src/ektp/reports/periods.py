"""Date arithmetic the reports share. Pure: no Django."""

from datetime import date


def years_before(day: date, years: int) -> date:
    """The date ``years`` years before ``day``: someone born on it turns ``years`` on ``day``
    (born on 29 February: counted from 28 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)
