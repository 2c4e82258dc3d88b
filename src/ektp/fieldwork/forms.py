import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ektp.fieldwork import rules
from ektp.fieldwork.choices import Outcome, Source
from ektp.regions.models import Region


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def region_choices(user) -> list[tuple[str, str]]:
    """The user's own region and the regions one and two levels below it that a campaign may
    cover (a city: its kecamatan; a kecamatan: its desa). A central administrator without a
    region types nothing here: the admin site serves them."""
    if user.region_id is None:
        return []
    own = Region.objects.filter(code=user.region_id)
    below = Region.objects.filter(parent_id=user.region_id)
    levels = {Region.Level.REGENCY, Region.Level.DISTRICT, Region.Level.VILLAGE}
    regions = [r for r in (*own, *below.order_by("code")) if r.level in levels]
    return [(r.code, f"{r.code} {r.name}") for r in regions]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Nama kampanye"), max_length=120)
    region_code = forms.ChoiceField(label=_("Wilayah"))
    source = forms.ChoiceField(label=_("Daftar dari"), choices=Source.choices,
                               widget=forms.RadioSelect, initial=rules.NOT_RECORDED)
    months_ahead = forms.IntegerField(
        label=_("Bulan ke depan (pemula)"), min_value=1, max_value=rules.MAX_MONTHS_AHEAD,
        required=False, initial=3,
        help_text=_("Hanya untuk daftar pemula: yang genap 17 tahun dalam sekian bulan."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices(user)


class VisitForm(forms.Form):
    """One visit. ``client_id`` is made when the form is shown: sending the same form twice
    (a double tap, a retry after a timeout) stores the visit once."""

    client_id = forms.CharField(widget=forms.HiddenInput, max_length=64)
    outcome = forms.ChoiceField(label=_("Hasil kunjungan"), choices=Outcome.choices,
                                widget=forms.RadioSelect)
    visited_on = forms.DateField(label=_("Tanggal kunjungan"), widget=DateInput())
    invited_for = forms.DateField(label=_("Diundang rekam pada"), required=False,
                                  widget=DateInput(),
                                  help_text=_("Wajib bila penduduk ada."))
    document_ref = forms.CharField(
        label=_("Nomor dokumen"), max_length=100, required=False,
        help_text=_("Pindah: nomor SKPWNI. Meninggal: nomor akta kematian."))
    to_village_code = forms.CharField(label=_("Kode desa/kelurahan tujuan (pindah)"),
                                      max_length=13, required=False)
    died_on = forms.DateField(label=_("Tanggal meninggal"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Catatan"), max_length=300, required=False)

    @classmethod
    def fresh(cls) -> "VisitForm":
        return cls(initial={"client_id": uuid.uuid4().hex,
                            "visited_on": timezone.localdate()})
