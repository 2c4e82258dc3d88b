from django import forms
from django.utils.translation import gettext_lazy as _


class CertificateIssueForm(forms.Form):
    """The office issuing the Suket (its code goes on the paper and into the QR)."""

    office = forms.ModelChoiceField(label=_("Kantor penerbit"), queryset=None,
                                    empty_label=None)

    def __init__(self, *args, offices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
