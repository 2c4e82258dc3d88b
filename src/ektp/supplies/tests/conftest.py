import pytest

from ektp.supplies.tests.factories import KOTA_DEPOK, NAMOSAIN, make_office


@pytest.fixture
def dinas(db):
    """Dinas Dukcapil Kota Kupang: receives allocations from the centre."""
    return make_office("DINAS-5371")


@pytest.fixture
def kelurahan(db):
    """The print point of kelurahan Namosain."""
    return make_office("KEL-NAMOSAIN", NAMOSAIN, kind="kelurahan")


@pytest.fixture
def depok(db):
    return make_office("DINAS-3276", KOTA_DEPOK)
