"""Forms of the supplies pages. They check the shape of the input; the services decide the
rest (stock enough, serials free, cards awaiting destruction) and refuse with a stable code,
which the views show on the form. Each write form carries an idempotency key made when the
form was drawn, so a double click or a resent form is booked once."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from ektp.devices.models import Office
from ektp.regions.forms import RegionField, ScopedRegionForm
from ektp.supplies.models import Earmark, Item, StockMovement

MAX_QUANTITY = 1_000_000
WITNESSES = 3


def new_key() -> str:
    return f"web-{uuid.uuid4().hex}"


class KeyedForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80, initial=new_key)


class OfficeFilterForm(ScopedRegionForm):
    """The stock or devices overview narrowed to a region inside the operator's own."""

    region = RegionField(label=_("Wilayah"), required=False)


class ReceiptForm(KeyedForm):
    item = forms.ChoiceField(label=_("Barang"), choices=Item.choices)
    earmark = forms.ChoiceField(label=_("Peruntukan"), choices=Earmark.choices,
                                initial=Earmark.GENERAL,
                                help_text=_("Hanya blangko yang bisa diperuntukkan khusus."))
    quantity = forms.IntegerField(label=_("Jumlah"), min_value=1, max_value=MAX_QUANTITY,
                                  help_text=_("Blangko dalam keping; ribbon dan film dalam rol."))
    handover_ref = forms.CharField(label=_("Nomor BA serah terima"), max_length=100)
    serial_prefix = forms.CharField(label=_("Awalan nomor seri blangko"), max_length=25,
                                    required=False)
    first_serial = forms.IntegerField(label=_("Nomor seri pertama"), min_value=0,
                                      required=False)
    request = forms.ModelChoiceField(label=_("Menjawab permintaan"), queryset=None,
                                     required=False, empty_label=_("(tanpa permintaan)"))

    def __init__(self, *args, requests=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request"].queryset = requests

    def clean(self):
        data = super().clean()
        if data.get("item") == Item.BLANK and (not data.get("serial_prefix")
                                               or data.get("first_serial") is None):
            raise forms.ValidationError(
                _("Blangko diterima dengan rentang nomor seri: isi awalan dan nomor pertama."),
                code="serial_range_required")
        return data


class TransferForm(KeyedForm):
    to_office = forms.CharField(label=_("Kode kantor tujuan"), max_length=24,
                                widget=forms.TextInput(attrs={"list": "offices",
                                                              "autocomplete": "off"}))
    item = forms.ChoiceField(label=_("Barang"), choices=Item.choices)
    earmark = forms.ChoiceField(label=_("Peruntukan"), choices=Earmark.choices,
                                initial=Earmark.GENERAL)
    quantity = forms.IntegerField(label=_("Jumlah"), min_value=1, max_value=MAX_QUANTITY,
                                  help_text=_("Blangko dalam keping; ribbon dan film dalam rol."))
    reference = forms.CharField(label=_("Nomor BA / surat pengiriman"), max_length=100)

    def clean_to_office(self) -> Office:
        code = self.cleaned_data["to_office"].strip()
        office = Office.objects.filter(code=code).first()
        if office is None:
            raise forms.ValidationError(_("Tidak ada kantor dengan kode %(code)s."),
                                        code="office_unknown", params={"code": code})
        return office


class RequestForm(forms.Form):
    item = forms.ChoiceField(label=_("Barang"), choices=Item.choices)
    quantity = forms.IntegerField(label=_("Jumlah"), min_value=1, max_value=MAX_QUANTITY,
                                  help_text=_("Blangko dalam keping; ribbon dan film dalam rol."))
    justification = forms.CharField(label=_("Alasan"), widget=forms.Textarea(attrs={"rows": 5}),
                                    max_length=2000)
    letter_number = forms.CharField(label=_("Nomor surat"), max_length=100, required=False)


class DestructionForm(forms.Form):
    ba_number = forms.CharField(label=_("Nomor Berita Acara pemusnahan"), max_length=100)
    serials = forms.MultipleChoiceField(label=_("Kartu yang dimusnahkan"),
                                        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, cards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["serials"].choices = [
            (card.serial, f"{card.serial} · {card.get_reason_display()}") for card in cards]
        for n in range(1, WITNESSES + 1):
            self.fields[f"witness_{n}_name"] = forms.CharField(
                label=_("Saksi %(n)d: nama") % {"n": n}, max_length=100, required=n == 1)
            self.fields[f"witness_{n}_institution"] = forms.CharField(
                label=_("Saksi %(n)d: instansi") % {"n": n}, max_length=100, required=False)

    def witnesses(self) -> list[dict]:
        data = self.cleaned_data
        return [{"name": data[f"witness_{n}_name"],
                 "institution": data[f"witness_{n}_institution"]}
                for n in range(1, WITNESSES + 1) if data.get(f"witness_{n}_name")]


class LedgerFilterForm(forms.Form):
    office = forms.ModelChoiceField(label=_("Kantor"), queryset=None, required=False,
                                    empty_label=_("Semua kantor"))
    item = forms.ChoiceField(label=_("Barang"), required=False,
                             choices=[("", _("Semua barang")), *Item.choices])
    kind = forms.ChoiceField(label=_("Jenis mutasi"), required=False,
                             choices=[("", _("Semua jenis")), *StockMovement.Kind.choices])
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, offices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
