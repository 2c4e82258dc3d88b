from ninja import Router, Schema

from ektp.regions.selectors import region_get, region_search

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    kind: str
    parent_id: str | None
    postal_code: str


@router.get("/search", response=list[RegionOut])
def search_regions(request, q: str, level: int | None = None, within: str | None = None):
    return list(region_search(q, level=level, within=within))


@router.get("/{code}", response=RegionOut)
def get_region(request, code: str):
    return region_get(code)
