"""The region picker: a form field whose widget searches regions as the operator types.

Usage in any form (the 83,762 villages are searched on the server, twenty at a time)::

    from ektp.regions.forms import RegionField, ScopedRegionForm

    class MyForm(ScopedRegionForm):          # or call ``bind_user(form, user)`` yourself
        village = RegionField(label=_("Kelurahan/desa"), level=Region.Level.VILLAGE)
        area = RegionField(label=_("Wilayah"), required=False, scoped=False)

    form = MyForm(request.POST or None, user=request.user)
    if form.is_valid():
        form.cleaned_data["village"]  # a Region

The widget is a search box (htmx GET to ``region_picker`` while typing) above a list of radio
buttons, one per match; the chosen one is posted under the field's name as the region code.
No script of ours is needed. ``scoped=True`` (the default) offers and accepts only regions
inside the operator's own region; ``level`` limits the matches to one level (4: villages).
"""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ektp.accounts.scoping import region_allowed
from ektp.errors import NotFound
from ektp.regions.models import Region
from ektp.regions.selectors import region_get


class RegionPickerWidget(forms.Widget):
    template_name = "ektp/region_picker.html"

    def __init__(self, *, level: int | None = None, scoped: bool = True, attrs=None):
        super().__init__(attrs)
        self.level, self.scoped = level, scoped

    def format_value(self, value):
        if isinstance(value, Region):
            return value.code
        return value or ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        code = context["widget"]["value"]
        selected = Region.objects.select_related("parent__parent").filter(code=code).first() \
            if code else None
        context["widget"].update({
            "selected": selected, "search_url": reverse("region_picker"),
            "level": self.level or "", "scoped": "1" if self.scoped else "",
        })
        return context


class RegionField(forms.Field):
    """A region chosen with the picker; cleans to a ``Region``. The form gives the field its
    operator (``field.user``) for ``scoped`` fields: see ``ScopedRegionForm``."""

    default_error_messages = {
        "unknown": _("Wilayah tidak dikenal. Ketik nama atau kode lalu pilih dari daftar."),
        "level": _("Pilih %(level)s."),
        "scope": _("Wilayah ini di luar wilayah kerja Anda."),
    }

    def __init__(self, *, level: int | None = None, scoped: bool = True, **kwargs):
        self.level, self.scoped, self.user = level, scoped, None
        kwargs.setdefault("widget", RegionPickerWidget(level=level, scoped=scoped))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Region):
            return value
        try:
            return region_get(str(value))
        except NotFound as exc:
            raise forms.ValidationError(self.error_messages["unknown"], code="region_unknown") \
                from exc

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if self.level and value.level != self.level:
            raise forms.ValidationError(
                self.error_messages["level"], code="region_level",
                params={"level": Region.Level(self.level).label.lower()})
        if self.scoped and (self.user is None or not region_allowed(self.user, value.code)):
            raise forms.ValidationError(self.error_messages["scope"], code="region_scope")


def bind_user(form: forms.BaseForm, user) -> None:
    """Give every region field of ``form`` the operator whose region bounds it."""
    for field in form.fields.values():
        if isinstance(field, RegionField):
            field.user = user


class ScopedRegionForm(forms.Form):
    """A form with region pickers bounded by the operator's region: pass ``user=``."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        bind_user(self, user)
