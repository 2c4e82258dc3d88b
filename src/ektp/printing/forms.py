from django import forms
from django.utils.translation import gettext_lazy as _

from ektp.enrollment.forms import check_fingerprint_file
from ektp.printing.services import SPOIL_REASONS
from ektp.supplies.models import InvalidCard


class PrintForm(forms.Form):
    """Print one record of the queue: the blank's serial as scanned (else the lowest serial
    in stock) and the printer used."""

    application = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    serial = forms.CharField(label=_("Nomor seri blangko"), max_length=32, required=False,
                             strip=True)
    printer = forms.TypedChoiceField(label=_("Printer"), coerce=int, required=False,
                                     empty_value=None)

    def __init__(self, *args, printers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["printer"].choices = [("", _("(tidak dipilih)"))] + [
            (p.pk, f"{p.model_name} {p.serial_number}") for p in printers]


def spoil_choices() -> list[tuple[str, str]]:
    return [(value, label) for value, label in InvalidCard.Reason.choices
            if value in SPOIL_REASONS]


class SpoilForm(forms.Form):
    reason = forms.ChoiceField(label=_("Alasan rusak"), choices=spoil_choices,
                               error_messages={"required": _("Pilih alasan kartu rusak."),
                                               "invalid_choice": _("Alasan rusak tidak dikenal.")})


class HandoverForm(forms.Form):
    """The holder's fingers as the hand-over scanner saved them (the same JSON template file
    as at recording; one finger is enough for the 1:1 check)."""

    fingerprints = forms.FileField(
        label=_("Berkas sidik jari pemilik"),
        error_messages={"required": _("Berkas templat sidik jari belum dipilih.")})

    def clean_fingerprints(self):
        return check_fingerprint_file(self.cleaned_data["fingerprints"], min_fingers=1)
