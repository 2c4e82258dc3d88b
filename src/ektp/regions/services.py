from collections.abc import Callable, Iterable
from itertools import islice

from django.db import transaction

from ektp.regions import wilayah
from ektp.regions.models import Region

BATCH = 5000


def _batches(items: Iterable, size: int):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def regions_load(*, progress: Callable[[int], None] | None = None) -> int:
    """Load the whole region list; idempotent (existing codes are updated, none duplicated).

    Returns how many regions the table holds afterwards.
    """
    with transaction.atomic():
        for batch in _batches(wilayah.iter_regions(), BATCH):
            rows = [
                Region(
                    code=r.code,
                    name=r.name,
                    level=r.level,
                    kind=r.kind,
                    parent_id=r.parent_code,
                    postal_code=r.postal_code or "",
                    edition=wilayah.EDITION,
                )
                for r in batch
            ]
            Region.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["name", "level", "kind", "parent", "postal_code", "edition"],
            )
            if progress:
                progress(len(rows))
    return Region.objects.count()
