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


# The pickers of the operators' pages: what is typed is a name (part of it) or a code (dotted
# or not, a prefix); never more than ``limit`` rows come back, so the 83,762 villages are
# never loaded at once.
MIN_PICKER_NAME = 3
PICKER_LIMIT = 20
_CODE_WIDTHS = (2, 2, 2, 4)  # provinsi.kab/kota.kecamatan.desa


def dotted_code_prefix(text: str) -> str | None:
    """'5371', '53.71' or '53.71.01.10' -> a dotted code prefix; None if not code-like."""
    digits = text.strip().replace(".", "")
    if not digits.isdigit() or len(digits) < 2 or len(digits) > sum(_CODE_WIDTHS):
        return None
    parts, start = [], 0
    for width in _CODE_WIDTHS:
        if start >= len(digits):
            break
        parts.append(digits[start:start + width])
        start += width
    return ".".join(parts)


def region_lookup(query: str, *, level: int | None = None, within: str | None = None,
                  limit: int = PICKER_LIMIT) -> list[Region]:
    """Regions for a picker: by code prefix when digits are typed, else by name (at least
    ``MIN_PICKER_NAME`` letters), inside ``within`` (the region itself included) when given;
    an empty list for too short a query."""
    from ektp.accounts.scoping import region_filter

    text = (query or "").strip()
    prefix = dotted_code_prefix(text)
    if prefix:
        regions = Region.objects.filter(code__startswith=prefix).order_by("code")
    elif len(text) >= MIN_PICKER_NAME:
        regions = Region.objects.filter(name__icontains=text).order_by("level", "name", "code")
    else:
        return []
    if level:
        regions = regions.filter(level=level)
    if within:
        regions = regions.filter(region_filter("code", within))
    return list(regions.select_related("parent__parent")[:limit])
