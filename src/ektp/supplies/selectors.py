"""Reads of the stock: balances, use, cover, the day stock runs out, the daily published figure
and the justification of a request. Callers scope offices with ``restrict`` first.

Quantities are in card units: blanks count cards; ribbons and films count card prints, shown
as rolls too (units / yield).
"""

import math
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.accounts.scoping import region_filter
from ektp.supplies import rules
from ektp.supplies.models import Item, StockBalance, StockMovement

Kind = StockMovement.Kind
USE_WINDOW_DAYS = 14


def roll_yield(item: str) -> int:
    """Card units in one delivered unit: a roll of ribbon or film, or a single blank."""
    return {Item.RIBBON: settings.EKTP_RIBBON_YIELD, Item.FILM: settings.EKTP_FILM_YIELD}.get(
        item, 1)


def _office_id(office) -> int:
    return getattr(office, "pk", office)


def balance(office, item: str, earmark: str | None = None) -> int:
    rows = StockBalance.objects.filter(office_id=_office_id(office), item=item)
    if earmark is not None:
        rows = rows.filter(earmark=earmark)
    return rows.aggregate(total=Sum("quantity"))["total"] or 0


def balance_by_earmark(office, item: str) -> dict[str, int]:
    rows = StockBalance.objects.filter(office_id=_office_id(office), item=item)
    return dict(rows.order_by("earmark").values_list("earmark", "quantity"))


def daily_use(office, item: str, days: int = USE_WINDOW_DAYS) -> float:
    """Units consumed per day over the trailing ``days`` days (spoiled blanks were consumed
    first, so they are in it)."""
    since = timezone.now() - timedelta(days=days)
    used = StockMovement.objects.filter(
        office_id=_office_id(office), item=item, kind=Kind.CONSUMED, at__gte=since,
    ).aggregate(total=Sum("quantity"))["total"] or 0
    return -used / days


def days_of_cover(office, item: str) -> float | None:
    """Days the stock lasts at the recent pace; None when nothing was used lately."""
    use = daily_use(office, item)
    if use <= 0:
        return None
    return balance(office, item) / use


def stockout_date(office, item: str) -> date | None:
    """The day the last unit is expected to go, or None when there is no recent use."""
    cover = days_of_cover(office, item)
    if cover is None:
        return None
    return timezone.localdate() + timedelta(days=math.floor(cover))


def is_low(office, item: str) -> bool:
    """Empty, or lasting fewer than EKTP_STOCK_LOW_DAYS at the recent pace: time to request."""
    quantity = balance(office, item)
    return _low(quantity, days_of_cover(office, item) if quantity else None)


def _low(quantity: int, cover: float | None) -> bool:
    return quantity == 0 or (cover is not None and cover < settings.EKTP_STOCK_LOW_DAYS)


def stock_overview(offices) -> dict[int, list[dict]]:
    """Per office, one line per item: quantity, days of cover and the low flag (the rule of
    ``is_low``), for many offices in two queries (the home pages); ``stock_summary`` gives
    one office's full picture."""
    ids = [_office_id(office) for office in offices]
    since = timezone.now() - timedelta(days=USE_WINDOW_DAYS)
    stock = _totals_by_office_item(StockBalance.objects.filter(office_id__in=ids))
    used = _totals_by_office_item(StockMovement.objects.filter(
        office_id__in=ids, kind=Kind.CONSUMED, at__gte=since))
    overview = {}
    for office_id in ids:
        lines = []
        for item in Item:
            quantity, use = stock.get((office_id, item), 0), -used.get((office_id, item), 0)
            cover = quantity / (use / USE_WINDOW_DAYS) if use > 0 else None
            lines.append({"item": item.value, "label": str(item.label), "quantity": quantity,
                          "days_of_cover": None if cover is None else round(cover, 1),
                          "low": _low(quantity, cover)})
        overview[office_id] = lines
    return overview


def _totals_by_office_item(rows) -> dict[tuple[int, str], int]:
    totals = rows.values("office_id", "item").annotate(total=Sum("quantity")).order_by()
    return {(row["office_id"], row["item"]): row["total"] for row in totals}


def stock_summary(office) -> list[dict]:
    """One line per item: quantity (and rolls), split by earmark, use, cover and the low flag."""
    lines = []
    for item in Item:
        quantity, cover = balance(office, item), days_of_cover(office, item)
        lines.append({
            "item": item.value, "label": str(item.label),
            "unit": "cards" if item == Item.BLANK else "prints",
            "quantity": quantity,
            "rolls": None if item == Item.BLANK else rules.rolls(quantity, roll_yield(item)),
            "by_earmark": balance_by_earmark(office, item),
            "daily_use": round(daily_use(office, item), 2),
            "days_of_cover": None if cover is None else round(cover, 1),
            "stockout_date": stockout_date(office, item),
            "low": is_low(office, item),
        })
    return lines


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _blank_figures(movements) -> dict[str, int]:
    totals = movements.aggregate(
        received=Sum("quantity", filter=Q(kind=Kind.ALLOCATION_RECEIVED), default=0),
        transferred=Sum("quantity", filter=Q(kind__in=[Kind.TRANSFER_IN, Kind.TRANSFER_OUT]),
                        default=0),
        used=Sum("quantity", filter=Q(kind=Kind.CONSUMED), default=0),
        spoiled=Count("id", filter=Q(kind=Kind.SPOILED)),
    )
    totals["used"] = -totals["used"]
    return totals


def published_stock_figure(region_code: str, day: date) -> dict:
    """The blank figure offices under ``region_code`` publish for ``day`` (an anti-extortion
    measure, domain.md §4): received from the centre, net transfers (those inside the region
    cancel out), used, spoiled, and in stock at the day's end, in total and per office."""
    start, end = _day_bounds(day)
    blanks = StockMovement.objects.filter(
        region_filter("office__region__code", region_code), item=Item.BLANK)
    figure = {"region_code": region_code, "day": day,
              **_blank_figures(blanks.filter(at__gte=start, at__lt=end)),
              "in_stock": blanks.filter(at__lt=end).aggregate(
                  total=Sum("quantity", default=0))["total"],
              "offices": []}
    for office_id, code in (blanks.filter(at__lt=end).order_by("office__code")
                            .values_list("office_id", "office__code").distinct()):
        mine = blanks.filter(office_id=office_id)
        figure["offices"].append({
            "office_id": office_id, "office_code": code,
            **_blank_figures(mine.filter(at__gte=start, at__lt=end)),
            "in_stock": mine.filter(at__lt=end).aggregate(
                total=Sum("quantity", default=0))["total"],
        })
    return figure


def request_suggestion(office, item: str, target_days: int, backlog: int = 0) -> dict:
    """How much to ask for and why. ``backlog`` is the number of print-ready records waiting at
    the office (the printing app owns that queue). Ribbons and films are asked for in rolls."""
    in_stock, use = balance(office, item), daily_use(office, item)
    units = rules.suggested_units(backlog=backlog, daily_use=use, target_days=target_days,
                                  in_stock=in_stock)
    quantity = units if item == Item.BLANK else rules.units_to_rolls(units, roll_yield(item))
    cover = days_of_cover(office, item)
    text = _(
        "%(item)s in stock: %(stock)d (card units). Print-ready records waiting: %(backlog)d. "
        "Average use over the last %(window)d days: %(use).1f a day, so the stock lasts "
        "%(cover)s. Requested: %(quantity)d to print the waiting records and cover "
        "%(target)d days of use."
    ) % {"item": Item(item).label, "stock": in_stock, "backlog": backlog,
         "window": USE_WINDOW_DAYS, "use": use, "quantity": quantity, "target": target_days,
         "cover": _("no recent use") if cover is None else _("%(days).0f days") % {"days": cover}}
    return {"item": item, "quantity": quantity, "justification": text, "in_stock": in_stock,
            "daily_use": use, "backlog": backlog}


def ledger_mismatches() -> list[dict]:
    """Balances that differ from the sum of their ledger rows (should be none)."""
    sums = {(row["office_id"], row["item"], row["earmark"]): row["total"]
            for row in StockMovement.objects.values("office_id", "item", "earmark")
            .annotate(total=Sum("quantity")).order_by()}
    found = []
    for row in StockBalance.objects.values("office_id", "item", "earmark", "quantity"):
        key = (row["office_id"], row["item"], row["earmark"])
        ledger = sums.pop(key, 0)
        if ledger != row["quantity"]:
            found.append({**row, "ledger": ledger})
    found += [{"office_id": k[0], "item": k[1], "earmark": k[2], "quantity": None, "ledger": v}
              for k, v in sums.items() if v != 0]
    return found


def ledger_check() -> tuple[int, list[str]]:
    """(balances checked, those that are off): every balance must equal the sum of its ledger
    rows, since the ledger is append-only and each row moved the balance by its quantity."""
    moved = {(r["office__code"], r["item"], r["earmark"]): r["total"]
             for r in StockMovement.objects.values("office__code", "item", "earmark")
             .annotate(total=Sum("quantity"))}
    held = {(b.office.code, b.item, b.earmark): b.quantity
            for b in StockBalance.objects.select_related("office")}
    keys = sorted(set(moved) | set(held))
    off = [key for key in keys if moved.get(key, 0) != held.get(key, 0)]
    return len(keys), [f"{'/'.join(key)}: movements {moved.get(key, 0)}, balance "
                       f"{held.get(key, 0)}" for key in off]
