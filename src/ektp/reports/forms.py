"""The report pages' GET forms: what-if and target of the forecast, the election date, the
first-time-eligible window. Each error carries a stable code (shown with the message)."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_EXTRA_DAYS = 60
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CoverageForm(forms.Form):
    bulan = forms.IntegerField(label=_("Pemula: genap 17 tahun dalam (bulan)"), min_value=1,
                               max_value=24, required=False)


class ForecastForm(forms.Form):
    blangko = forms.IntegerField(label=_("Tambahan blangko"), min_value=0, max_value=10_000_000,
                                 required=False)
    blangko_tiba = forms.DateField(label=_("Blangko tiba pada"), required=False,
                                   widget=DATE)
    printer = forms.IntegerField(label=_("Printer diperbaiki (jumlah)"), min_value=0,
                                 max_value=100, required=False)
    printer_tanggal = forms.DateField(label=_("Printer berfungsi lagi pada"), required=False,
                                      widget=DATE)
    hari_tambahan = forms.CharField(
        label=_("Hari kerja tambahan (tanggal, pisahkan dengan koma)"), required=False,
        max_length=1000)
    target = forms.DateField(label=_("Target selesai"), required=False, widget=DATE)

    def clean_hari_tambahan(self) -> tuple[date, ...]:
        raw = [part.strip() for part in self.cleaned_data["hari_tambahan"].split(",")]
        days = []
        for part in filter(None, raw):
            try:
                days.append(date.fromisoformat(part))
            except ValueError:
                raise ValidationError(_("Tanggal %(value)s tidak dikenali (format YYYY-MM-DD)."),
                                      code="extra_day_format", params={"value": part}) from None
        if len(days) > MAX_EXTRA_DAYS:
            raise ValidationError(_("Paling banyak %(n)d hari tambahan."), code="extra_days_many",
                                  params={"n": MAX_EXTRA_DAYS})
        return tuple(sorted(set(days)))


class ElectionForm(forms.Form):
    tanggal = forms.DateField(label=_("Tanggal pemilu"), widget=DATE)
