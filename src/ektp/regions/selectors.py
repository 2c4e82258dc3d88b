from django.db.models import QuerySet

from ektp.errors import NotFound
from ektp.regions import wilayah
from ektp.regions.models import Region


def region_get(code: str) -> Region:
    try:
        normalized = wilayah.normalize_code(code)
    except ValueError as exc:
        raise NotFound(f"Unknown region code {code!r}", code="region_unknown") from exc
    region = Region.objects.filter(code=normalized).first()
    if region is None:
        raise NotFound(f"Unknown region code {code!r}", code="region_unknown")
    return region


def region_search(query: str, *, level: int | None = None, within: str | None = None,
                  limit: int = 20) -> QuerySet[Region]:
    """Regions whose name contains ``query`` (case-insensitive), shortest codes first."""
    regions = Region.objects.filter(name__icontains=query.strip())
    if level:
        regions = regions.filter(level=level)
    if within:
        regions = regions.filter(code__startswith=within + ".")
    return regions.order_by("level", "name")[:limit]


def region_counts() -> dict[int, int]:
    return {level: Region.objects.filter(level=level).count() for level in range(1, 5)}
