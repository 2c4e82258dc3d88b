"""The region picker: search as you type over the real region list (by name or code, twenty
at most, never all 83,762 villages), scoped to the operator's region when the form asks, and
the ``RegionField`` that checks what comes back."""

import pytest
from django import forms
from django.urls import reverse

from ektp.accounts import rules as roles
from ektp.enrollment.tests.factories import ALAK, KOTA_KUPANG, user
from ektp.regions.forms import RegionField, ScopedRegionForm
from ektp.regions.models import Region
from ektp.regions.selectors import dotted_code_prefix, region_lookup

pytestmark = pytest.mark.django_db
PICKER = reverse("region_picker")


def _pick(client, text, **params):
    return client.get(PICKER, {"field": "region", "region_cari": text, **params})


def _codes(response) -> list[str]:
    return [region.code for region in response.context["regions"]]


@pytest.mark.parametrize("text, prefix", [
    ("53", "53"), ("5371", "53.71"), ("53.71.01", "53.71.01"), ("5371011001", "53.71.01.1001"),
    ("537101100", "53.71.01.100"), ("kupang", None), ("5", None), ("53710110011", None),
])
def test_typed_codes_become_dotted_prefixes(text, prefix):
    assert dotted_code_prefix(text) == prefix


def test_lookup_by_name_and_code_is_limited():
    villages = region_lookup("sari", level=Region.Level.VILLAGE)
    assert len(villages) == 20  # hundreds match; twenty come back
    assert all(v.level == 4 and "SARI" in v.name.upper() for v in villages)
    by_code = [r.code for r in region_lookup("53.71.01.100")]
    assert by_code[0] == "53.71.01.1001" and by_code == sorted(by_code)
    assert all(code.startswith("53.71.01.100") for code in by_code)
    assert region_lookup("ab") == []  # too short to search


def test_lookup_within_a_region_keeps_to_it():
    found = region_lookup("sari", within=KOTA_KUPANG)
    assert found == [] or all(r.code.startswith("53.71.") for r in found)
    assert [r.code for r in region_lookup("alak", within=KOTA_KUPANG)][0] == ALAK


def test_anonymous_is_sent_to_login(client):
    assert _pick(client, "alak").status_code == 302


def test_the_picker_answers_radio_buttons_named_after_the_field(client):
    client.force_login(user(roles.STOCK_KEEPER, KOTA_KUPANG))
    response = _pick(client, "namosain", level="4", scoped="1")
    assert _codes(response) == ["53.71.01.1001"]
    html = response.content.decode()
    assert 'type="radio" name="region" value="53.71.01.1001"' in html
    assert "<html" not in html


def test_a_scoped_picker_offers_only_the_operators_region(client):
    client.force_login(user(roles.STOCK_KEEPER, KOTA_KUPANG))
    assert _codes(_pick(client, "depok", scoped="1")) == []
    assert _codes(_pick(client, "32.76", scoped="1")) == []
    assert "32.76" in _codes(_pick(client, "32.76"))  # unscoped: the whole country
    assert "Tidak ada wilayah yang cocok" in _pick(client, "depok", scoped="1").content.decode()


def test_the_chosen_region_stays_offered_while_searching(client):
    client.force_login(user(roles.STOCK_KEEPER, KOTA_KUPANG))
    response = _pick(client, "oepura", region=ALAK, scoped="1")
    html = response.content.decode()
    assert f'value="{ALAK}" checked' in html and "53.71.02.1001" in html


def test_a_bad_field_name_is_refused(client):
    client.force_login(user(roles.STOCK_KEEPER, KOTA_KUPANG))
    assert client.get(PICKER, {"field": '"><script>', "q": "x"}).status_code == 400


@pytest.mark.parametrize("rows", ["alak", "sari"])
def test_picker_queries_are_pinned(client, django_assert_num_queries, rows):
    """Session, user, the chosen region, the matches (with their parents joined)."""
    client.force_login(user(roles.CENTRAL_ADMIN, None))
    with django_assert_num_queries(4):
        assert _pick(client, rows).status_code == 200


class VillageForm(ScopedRegionForm):
    village = RegionField(level=Region.Level.VILLAGE)


@pytest.mark.parametrize("value, code", [
    ("53.71.01.1001", None), ("5371011001", None), ("99.99", "region_unknown"),
    ("53.71.01", "region_level"), ("32.76.01.1006", "region_scope"), ("", "required"),
])
def test_the_field_checks_what_was_chosen(value, code):
    form = VillageForm({"village": value}, user=user(roles.STOCK_KEEPER, KOTA_KUPANG))
    if code is None:
        assert form.is_valid() and form.cleaned_data["village"].code == "53.71.01.1001"
    else:
        assert not form.is_valid()
        assert form.errors.as_data()["village"][0].code == code


def test_a_scoped_field_without_user_accepts_nothing():
    class Bare(forms.Form):
        village = RegionField()

    form = Bare({"village": "53.71.01.1001"})
    assert not form.is_valid()


def test_the_widget_renders_the_search_box_and_the_chosen_region():
    form = VillageForm(initial={"village": "53.71.01.1001"},
                       user=user(roles.STOCK_KEEPER, KOTA_KUPANG))
    html = str(form["village"])
    assert f'hx-get="{PICKER}"' in html and 'name="village_cari"' in html
    assert 'value="53.71.01.1001" checked' in html and "Namosain" in html.title()
