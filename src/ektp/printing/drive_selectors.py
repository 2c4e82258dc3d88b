"""Reads of printing drives: the drives a user sees and a drive's live progress per point.
Progress costs a fixed number of queries whatever the number of points (63 kelurahan and the
Dinas in Depok's case): points, prints in the window, queues, stock and deliveries, each one
aggregate query."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from ektp.accounts import rules as roles
from ektp.accounts.scoping import may, restrict
from ektp.printing import drive_rules
from ektp.printing.models import Drive, DrivePoint, DriveSupply, PrintJob
from ektp.printing.selectors import queue_counts
from ektp.supplies.models import Item, StockBalance


def _ancestors(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def drives_visible(user) -> QuerySet[Drive]:
    """Drives in the user's region, and those of a wider region covering it (a kelurahan's
    operator follows the city's drive, seeing the points of their own region)."""
    if not may(user, roles.PRINT_VIEW):
        return Drive.objects.none()
    inside = restrict(user, roles.PRINT_VIEW, Drive.objects.all())
    if user.region_id:
        inside = inside | Drive.objects.filter(region_id__in=_ancestors(user.region_id))
    return inside.select_related("region")


def points_visible(user, drive: Drive) -> QuerySet[DrivePoint]:
    return restrict(user, roles.PRINT_VIEW, DrivePoint.objects.filter(drive=drive))


@dataclass
class PointProgress:
    point: DrivePoint
    printed: int
    spoiled: int
    last_print_at: datetime | None
    waiting: int
    in_stock: int
    requested: int | None
    received_on_request: int
    sent: int
    shortfall: int
    stalled: bool

    @property
    def done_share(self) -> float | None:
        return drive_rules.share(self.printed, self.point.target)


@dataclass
class DriveProgress:
    drive: Drive
    phase: str
    now: datetime
    points: list[PointProgress]

    def _sum(self, field: str) -> int:
        return sum(getattr(point, field) for point in self.points)

    @property
    def target(self) -> int:
        return sum(point.point.target for point in self.points)

    @property
    def printed(self) -> int:
        return self._sum("printed")

    @property
    def done_share(self) -> float | None:
        return drive_rules.share(self.printed, self.target)

    @property
    def shortfall(self) -> int:
        return self._sum("shortfall")

    @property
    def stalled(self) -> list[PointProgress]:
        return [point for point in self.points if point.stalled]

    @property
    def short(self) -> list[PointProgress]:
        return [point for point in self.points if point.shortfall]


def _prints(drive: Drive, office_ids: list[int]) -> dict[int, dict]:
    window = Q(finished_at__gte=drive.starts_at, finished_at__lt=drive.ends_at)
    rows = (PrintJob.objects.filter(window, office_id__in=office_ids).values("office_id")
            .annotate(printed=Count("pk", filter=Q(status=PrintJob.Status.PRINTED)),
                      spoiled=Count("pk", filter=Q(status=PrintJob.Status.SPOILED)),
                      last=Max("finished_at", filter=Q(status=PrintJob.Status.PRINTED)))
            .order_by())
    return {row["office_id"]: row for row in rows}


def _blanks(office_ids: list[int]) -> dict[int, int]:
    rows = (StockBalance.objects.filter(office_id__in=office_ids, item=Item.BLANK)
            .values("office_id").annotate(total=Sum("quantity")).order_by())
    return {row["office_id"]: row["total"] for row in rows}


def _sent(point_ids: list[int]) -> dict[int, int]:
    rows = (DriveSupply.objects.filter(point_id__in=point_ids).values("point_id")
            .annotate(total=Sum("quantity")).order_by())
    return {row["point_id"]: row["total"] for row in rows}


def _point_progress(point: DrivePoint, drive: Drive, now, prints, waiting, stock,
                    sent) -> PointProgress:
    row = prints.get(point.office_id, {})
    printed, last = row.get("printed", 0), row.get("last")
    in_stock, request = stock.get(point.office_id, 0), point.stock_request
    return PointProgress(
        point=point, printed=printed, spoiled=row.get("spoiled", 0), last_print_at=last,
        waiting=waiting.get(point.office_id, 0), in_stock=in_stock,
        requested=request.quantity if request else None,
        received_on_request=request.received_quantity if request else 0,
        sent=sent.get(point.pk, 0),
        shortfall=drive_rules.shortfall(target=point.target, printed=printed,
                                        in_stock=in_stock),
        stalled=drive_rules.is_stalled(
            now=now, starts_at=drive.starts_at, ends_at=drive.ends_at, last_print_at=last,
            waiting=waiting.get(point.office_id, 0), stall_minutes=drive.stall_minutes))


def drive_progress(drive: Drive, points: QuerySet[DrivePoint],
                   now: datetime | None = None) -> DriveProgress:
    """Per point (of ``points``, already scoped): target, cards printed and spoiled in the
    window, the last print, records waiting, blanks in stock, requested and sent, shortfall
    and whether it is stalled."""
    now = now or timezone.now()
    points = list(points.select_related("office__region", "stock_request")
                  .order_by("office__code"))
    offices = [point.office for point in points]
    office_ids = [office.pk for office in offices]
    prints, waiting = _prints(drive, office_ids), queue_counts(offices)
    stock, sent = _blanks(office_ids), _sent([point.pk for point in points])
    return DriveProgress(
        drive=drive, phase=drive_rules.phase(now, drive.starts_at, drive.ends_at), now=now,
        points=[_point_progress(point, drive, now, prints, waiting, stock, sent)
                for point in points])
