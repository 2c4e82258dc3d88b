"""What waits for whom: the sections of each role's home page.

Every read goes through ``restrict`` (so a section shows only the user's region) and the app
selectors; each section runs a fixed number of queries (counts are aggregates, offices are
read together), so a home page costs the same for a kecamatan and for a province.
"""

from datetime import timedelta

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from ektp.accounts import rules
from ektp.accounts.scoping import restrict
from ektp.devices.models import Office
from ektp.devices.selectors import cards_per_day, with_printer_counts
from ektp.enrollment.models import Enrollment
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.printing.selectors import queue_counts
from ektp.residents.models import Resident
from ektp.residents.selectors import not_yet_recorded, wajib_ktp_filter
from ektp.supplies.models import Item, StockBalance
from ektp.supplies.selectors import stock_overview

RECENT = 10  # rows of a list on the home page; the full lists are on their own pages
# A kab/kota has a Dinas and a few UPT or kelurahan print points; a province's stock keeper
# sees the first ones here and all of them on the supplies page.
OFFICE_LIMIT = 20

ALL_SECTIONS = ("headline", "recording", "adjudication", "printing", "stock")
SECTIONS_BY_ROLE = {
    rules.RECORDING_OPERATOR: ("recording",),
    rules.PRINT_OPERATOR: ("printing",),
    rules.SUPERVISOR: ("adjudication",),
    rules.STOCK_KEEPER: ("stock",),
    rules.HEAD_OF_OFFICE: ("headline",),
    rules.FIELD_OFFICER: ("field",),
    rules.CENTRAL_ADMIN: ALL_SECTIONS,
}


def sections_for(user) -> tuple[str, ...]:
    role = rules.CENTRAL_ADMIN if user.is_superuser else user.role
    return SECTIONS_BY_ROLE.get(role, ())


def home_sections(user) -> dict[str, dict]:
    """The sections of ``user``'s home page by name; empty for a user without a role."""
    today = timezone.localdate()
    return {name: BUILDERS[name](user, today) for name in sections_for(user)}


def recording(user, today) -> dict:
    """Residents of the operator's area who must be recorded and are not yet, oldest first,
    and the operator's own latest recordings."""
    residents = restrict(user, rules.ENROLLMENT_RECORD, Resident.objects.all())
    waiting = not_yet_recorded(residents, today)
    mine = restrict(user, rules.ENROLLMENT_RECORD, Enrollment.objects.filter(operator=user))
    recent = mine.select_related("resident").order_by("-captured_at", "-id")[:RECENT]
    return {"waiting_count": waiting.count(), "waiting": list(waiting[:RECENT]),
            "recent": list(recent)}


def field(user, today) -> dict:
    """A field officer looks for the residents who have not come to be recorded."""
    residents = restrict(user, rules.RESIDENT_VIEW, Resident.objects.all())
    return {"waiting_count": not_yet_recorded(residents, today).count()}


def adjudication(user, today) -> dict:
    """Doubtful penunggalan results waiting for a decision, and since when."""
    waiting = restrict(user, rules.APPLICATION_ADJUDICATE, Application.objects.filter(
        status=issuance_rules.S_ADJ))
    found = waiting.aggregate(count=Count("pk"), oldest=Min("status_changed_at"))
    return {"count": found["count"], "oldest": found["oldest"]}


def _offices(user, action: str) -> list[Office]:
    offices = restrict(user, action, Office.objects.filter(prints_cards=True))
    return list(with_printer_counts(offices.select_related("region")).order_by("code")
                [:OFFICE_LIMIT])


def printing(user, today) -> dict:
    """Per print point: PRR waiting, stock, working printers and cards a day."""
    offices = _offices(user, rules.PRINT_VIEW)
    waiting, stock = queue_counts(offices), stock_overview(offices)
    rows = []
    for office in offices:
        lines = {line["item"]: line for line in stock[office.pk]}
        rows.append({"office": office, "waiting": waiting[office.pk], "stock": lines,
                     "blanks_short": lines[Item.BLANK]["quantity"] < waiting[office.pk],
                     "printers": office.printers_working + office.printers_degraded,
                     "cards_per_day": cards_per_day(office)})
    return {"offices": rows}


def stock(user, today) -> dict:
    """Per print point: blanks, ribbon and film, days of cover and the low flags."""
    offices = _offices(user, rules.SUPPLIES_VIEW)
    overview = stock_overview(offices)
    rows = [{"office": office, "lines": overview[office.pk],
             "low": any(line["low"] for line in overview[office.pk])} for office in offices]
    return {"offices": rows, "low_count": sum(row["low"] for row in rows)}


def headline(user, today) -> dict:
    """A few numbers for the head of office: the eligible population and its coverage, the
    pipeline and the blanks in stock."""
    residents = restrict(user, rules.RESIDENT_VIEW, Resident.objects.filter(
        status=Resident.Status.ACTIVE))
    people = residents.aggregate(total=Count("pk"), wajib=Count("pk", filter=wajib_ktp_filter(
        today)))
    not_recorded = not_yet_recorded(residents, today).count()
    pipeline = _pipeline(restrict(user, rules.APPLICATION_VIEW, Application.objects.all()),
                         today)
    blanks = restrict(user, rules.SUPPLIES_VIEW, StockBalance.objects.filter(
        item=Item.BLANK)).aggregate(total=Sum("quantity", default=0))["total"]
    recorded = people["wajib"] - not_recorded
    return {**people, "not_recorded": not_recorded, "recorded": recorded,
            "coverage": round(100 * recorded / people["wajib"], 1) if people["wajib"] else None,
            **pipeline, "blanks": blanks}


def _pipeline(applications, today) -> dict:
    month_ago = timezone.now() - timedelta(days=30)
    return applications.aggregate(
        print_ready=Count("pk", filter=Q(status=issuance_rules.S_PRR)),
        adjudicate=Count("pk", filter=Q(status=issuance_rules.S_ADJ)),
        printed_waiting=Count("pk", filter=Q(status=issuance_rules.S_PRINTED)),
        issued_30_days=Count("pk", filter=Q(status=issuance_rules.S_ISSUED,
                                            status_changed_at__gte=month_ago)),
    )


BUILDERS = {"recording": recording, "field": field, "adjudication": adjudication,
            "printing": printing, "stock": stock, "headline": headline}
