import pytest
from django.core.management import call_command

from ektp.errors import NotFound
from ektp.regions import wilayah
from ektp.regions.models import Region
from ektp.regions.selectors import region_counts, region_get, region_search
from ektp.regions.services import regions_load

pytestmark = pytest.mark.django_db


def test_the_four_counts_of_the_2025_list_are_pinned():
    # Fails loudly when an upgrade of the source changes the data.
    assert region_counts() == {1: 38, 2: 514, 3: 7285, 4: 83762}
    assert wilayah.EXPECTED_COUNTS == region_counts()
    assert Region.objects.count() == 91599


def test_loading_twice_stores_nothing_twice():
    assert regions_load() == 91599
    assert Region.objects.count() == 91599


def test_reloading_repairs_a_changed_name():
    Region.objects.filter(code="53.71").update(name="Salah")
    regions_load()
    assert Region.objects.get(code="53.71").name == "Kota Kupang"


def test_lookup_by_compact_or_dotted_code_walks_to_the_province():
    village = region_get("5371011001")
    assert village == region_get("53.71.01.1001")
    assert (village.name, village.kind, village.postal_code) == ("Namosain", "kelurahan", "85232")
    assert village.parent.parent.name == "Kota Kupang"
    assert village.parent.parent.parent.code == "53"


@pytest.mark.parametrize("code", ["99.99", "53.71.99", "abc", ""])
def test_unknown_code_is_not_found_with_a_stable_code(code):
    with pytest.raises(NotFound) as caught:
        region_get(code)
    assert caught.value.code == "region_unknown"


def test_kota_kupang_has_its_real_6_kecamatan_and_51_kelurahan():
    assert Region.objects.filter(parent_id="53.71").count() == 6
    assert Region.objects.filter(code__startswith="53.71.", level=4).count() == 51


def test_search_by_name_is_case_insensitive_and_can_be_bounded():
    names = [r.code for r in region_search("kupang", level=2)]
    assert names == ["53.01", "53.71"]
    within = list(region_search("oeba", within="53.71"))
    assert within and all(r.code.startswith("53.71.") for r in within)


def test_command_prints_the_counts(capsys):
    call_command("regions", "load", verbosity=0)
    out = capsys.readouterr().out
    assert "provinsi 38, kab/kota 514, kecamatan 7285, desa/kelurahan 83762" in out
