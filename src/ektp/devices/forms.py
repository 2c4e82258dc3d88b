from django import forms
from django.utils.translation import gettext_lazy as _

from ektp.devices import rules
from ektp.regions.forms import RegionField, ScopedRegionForm


class DeviceFilterForm(ScopedRegionForm):
    """The devices overview narrowed to a region inside the operator's own."""

    region = RegionField(label=_("Wilayah"), required=False)


class BreakdownForm(forms.Form):
    description = forms.CharField(label=_("Kerusakan"), max_length=rules.MAX_TEXT,
                                  widget=forms.TextInput(attrs={"autocomplete": "off"}))
    degraded_only = forms.BooleanField(
        label=_("Masih bisa dipakai (kapasitas berkurang)"), required=False)


class RepairCloseForm(forms.Form):
    note = forms.CharField(label=_("Catatan perbaikan"), max_length=rules.MAX_TEXT,
                           required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
