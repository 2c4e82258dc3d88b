import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from ektp.printing import drive_rules
from ektp.regions.models import Region


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def region_choices(user) -> list[tuple[str, str]]:
    """The user's region and the regions right under it."""
    if user.region_id is None:
        return []
    regions = [*Region.objects.filter(code=user.region_id),
               *Region.objects.filter(parent_id=user.region_id).order_by("code")]
    return [(r.code, f"{r.code} {r.name}") for r in regions]


class DriveForm(forms.Form):
    name = forms.CharField(label=_("Nama kegiatan"), max_length=drive_rules.NAME_MAX)
    region_code = forms.ChoiceField(label=_("Wilayah"))
    starts_at = forms.DateTimeField(label=_("Mulai"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Selesai"), widget=DateTimeInput())
    stall_minutes = forms.IntegerField(
        label=_("Dianggap macet setelah (menit tanpa cetak)"), initial=30,
        min_value=drive_rules.MIN_STALL_MINUTES, max_value=drive_rules.MAX_STALL_MINUTES)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices(user)


class PointForm(forms.Form):
    office = forms.ChoiceField(label=_("Titik cetak"))
    target = forms.IntegerField(label=_("Target kartu"), min_value=1,
                                max_value=drive_rules.MAX_TARGET)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].choices = [(o.pk, f"{o.code} {o.name}") for o in offices]


class TransferForm(forms.Form):
    """Blanks sent from another office (the Dinas) to a point; the key is made when the form
    is shown, so sending it twice moves the blanks once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    from_office = forms.ChoiceField(label=_("Dari kantor"))
    quantity = forms.IntegerField(label=_("Jumlah blangko"), min_value=1,
                                  max_value=drive_rules.MAX_TARGET)
    handover_ref = forms.CharField(label=_("Nomor BA serah terima"), max_length=100)

    def __init__(self, *args, offices, **kwargs):
        kwargs.setdefault("initial", {"idempotency_key": uuid.uuid4().hex})
        super().__init__(*args, **kwargs)
        self.fields["from_office"].choices = [(o.pk, f"{o.code} {o.name}") for o in offices]
