from django import forms
from django.utils.translation import gettext_lazy as _

from ektp.residents.selectors import MIN_NAME_QUERY, search_kind


class ResidentSearchForm(forms.Form):
    """One box for a NIK, a KK number or a name; sent by POST so nothing typed lands in a URL,
    a browser history or a server log."""

    q = forms.CharField(label=_("NIK, No. KK atau nama"), max_length=60, strip=True)
    page = forms.IntegerField(min_value=1, required=False)

    def clean_q(self) -> str:
        text = self.cleaned_data["q"]
        if search_kind(text) is None:
            raise forms.ValidationError(
                _("Ketik 16 angka NIK atau No. KK, atau minimal %(n)d huruf nama."),
                code="too_short", params={"n": MIN_NAME_QUERY})
        return text
