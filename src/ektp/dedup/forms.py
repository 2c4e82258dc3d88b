from django import forms
from django.utils.translation import gettext_lazy as _

REASON_MAX = 500


class AdjudicationForm(forms.Form):
    """The adjudicator's decision on a doubtful penunggalan result, always with a reason."""

    decision = forms.ChoiceField(
        label=_("Keputusan"), widget=forms.RadioSelect,
        choices=[("duplicate", _("Ganda: rekaman ini milik orang yang sama")),
                 ("single", _("Tunggal: orang yang berbeda, lanjut ke cetak (PRR)"))],
        error_messages={"required": _("Pilih keputusan: ganda atau tunggal.")})
    reason = forms.CharField(
        label=_("Alasan"), max_length=REASON_MAX, strip=True, widget=forms.Textarea(
            attrs={"rows": 3}),
        error_messages={"required": _("Tuliskan alasan keputusan."),
                        "max_length": _("Alasan paling banyak %(limit_value)d karakter.")})
