"""Part 3: stock and capacity by office: blanks, ribbons and films with days of cover, printers
and recording kits in service, and the cards a day each office can really print (its printers,
bounded by what is in stock). A few aggregate queries whatever the number of offices."""

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ektp.accounts.scoping import region_filter, restrict
from ektp.devices import rules as device_rules
from ektp.devices.models import Device, Office
from ektp.devices.selectors import cards_per_day, with_printer_counts
from ektp.reports.selectors import STOCK_VIEW, Scope
from ektp.reports.tables import Table
from ektp.supplies.models import Item, StockBalance
from ektp.supplies.selectors import stock_overview

STOCK_COLUMNS = [
    ("office", _lazy("Kantor")), ("blank", _lazy("Blangko")),
    ("blank_cover", _lazy("Blangko cukup (hari)")), ("ribbon", _lazy("Ribbon (cetakan)")),
    ("ribbon_cover", _lazy("Ribbon cukup (hari)")), ("film", _lazy("Film (cetakan)")),
    ("film_cover", _lazy("Film cukup (hari)")), ("printers", _lazy("Printer berfungsi")),
    ("kits", _lazy("Alat rekam berfungsi")), ("capacity", _lazy("Kapasitas printer/hari")),
    ("real_per_day", _lazy("Kartu/hari sebenarnya")),
]


def _offices(scope: Scope):
    offices = restrict(scope.user, STOCK_VIEW, Office.objects.all())
    if scope.code:
        offices = offices.filter(region_filter("region__code", scope.code))
    kits = Q(devices__kind=Device.Kind.RECORDING_KIT)
    return with_printer_counts(offices).annotate(
        kits=Count("devices", filter=kits & ~Q(devices__status=device_rules.RETIRED)),
        kits_working=Count("devices", filter=kits & Q(
            devices__status__in=device_rules.IN_SERVICE_STATUSES)))


def _row(office, lines: list[dict]) -> dict:
    stock = {line["item"]: line for line in lines}
    capacity = cards_per_day(office) if office.prints_cards else 0
    row = {"office_id": office.pk, "office": office.name, "code": office.code,
           "printers": f"{office.printers_working + office.printers_degraded}/{office.printers}",
           "kits": f"{office.kits_working}/{office.kits}", "capacity": capacity}
    for item in Item:
        line = stock.get(item.value, {})
        row[item.value] = line.get("quantity", 0)
        row[f"{item.value}_cover"] = line.get("days_of_cover")
        row[f"{item.value}_low"] = line.get("low", False)
    row["real_per_day"] = min(capacity, row["blank"], row["ribbon"], row["film"])
    return row


def stock_and_capacity(scope: Scope) -> Table:
    offices = list(_offices(scope))
    overview = stock_overview(offices)
    rows = [_row(office, overview.get(office.pk, [])) for office in offices]
    total = {"office": _("Jumlah"), **{key: sum(row[key] for row in rows) for key in
                                       ("blank", "ribbon", "film", "capacity", "real_per_day")}}
    title = _("Stok dan kapasitas: %(region)s") % {"region": scope.label}
    return Table("stock", title, STOCK_COLUMNS, rows, total)


def forecast_resources(scope: Scope) -> dict[str, int]:
    """What the forecast starts from: printing capacity and stock in the region's offices."""
    offices = restrict(scope.user, STOCK_VIEW, Office.objects.all())
    if scope.code:
        offices = offices.filter(region_filter("region__code", scope.code))
    printers = with_printer_counts(offices.filter(prints_cards=True)).aggregate(
        working=Sum("printers_working"), degraded=Sum("printers_degraded"))
    stock = dict(StockBalance.objects.filter(office__in=offices).values("item")
                 .annotate(n=Sum("quantity")).order_by().values_list("item", "n"))
    capacity = device_rules.capacity(
        printers["working"] or 0, printers["degraded"] or 0,
        per_working=settings.EKTP_PRINTER_CARDS_PER_DAY,
        per_degraded=settings.EKTP_DEGRADED_PRINTER_CARDS_PER_DAY)
    return {"print_per_day": capacity, "blanks": stock.get(Item.BLANK, 0),
            "ribbon": stock.get(Item.RIBBON, 0), "film": stock.get(Item.FILM, 0)}
