"""Template helpers shared by every operator page: the main menu, the masked NIK and the
labels of regions."""

from django import template
from django.utils.translation import gettext_lazy as _

from ektp.accounts import rules
from ektp.accounts.scoping import may
from ektp.residents.rules import mask_nik

register = template.Library()

# (url name, label, action the menu item needs; None: every signed-in operator). The pages
# still to come (recording, adjudication, print queue, supplies, devices, certificates) add
# their line here.
MENU = [
    ("home", _("Beranda"), None),
    ("resident_search", _("Penduduk"), rules.RESIDENT_VIEW),
    ("recording_start", _("Perekaman"), rules.ENROLLMENT_RECORD),
    ("adjudication_queue", _("Adjudikasi"), rules.APPLICATION_ADJUDICATE),
    ("print_offices", _("Cetak"), rules.PRINT_VIEW),
    ("certificate_list", _("Suket"), rules.CERTIFICATE_ISSUE),
    ("supplies_overview", _("Persediaan"), rules.SUPPLIES_VIEW),
    ("device_overview", _("Perangkat"), rules.DEVICE_VIEW),
    ("station_list", _("Stasiun"), rules.DEVICE_VIEW),
    ("fieldwork_campaigns", _("Lapangan"), rules.FIELDWORK_VIEW),
    ("drive_list", _("Cetak massal"), rules.PRINT_VIEW),
    ("reports_dashboard", _("Laporan"), rules.REPORT_VIEW),
]

REGION_KINDS = {
    "provinsi": _("Provinsi"),
    "kecamatan": _("Kecamatan"),
    "distrik": _("Distrik"),
    "kelurahan": _("Kelurahan"),
    "desa": _("Desa"),
    "desa_adat": _("Desa adat"),
}


@register.inclusion_tag("ektp/menu.html", takes_context=True)
def main_menu(context):
    """The menu items the user's role allows; the current page marked."""
    request = context["request"]
    user = request.user
    current = getattr(request.resolver_match, "url_name", None)
    items = [{"url_name": name, "label": label, "current": name == current}
             for name, label, action in MENU if action is None or may(user, action)]
    return {"items": items, "show_admin": user.is_staff}


@register.filter
def nik_masked(value) -> str:
    """``5371********0001``: NIK and KK numbers are shown masked unless explicitly opened."""
    return mask_nik(value) if value else ""


# Numbers in a change record that identify a person or family: shown masked like elsewhere.
MASKED_FIELDS = frozenset({"nik", "kk_number"})


@register.filter
def event_changes(changes) -> list[tuple[str, str, str]]:
    """A life event's ``{field: [old, new]}`` as rows, NIK and KK numbers masked."""
    rows = []
    for field, (old, new) in (changes or {}).items():
        if field in MASKED_FIELDS:
            old, new = nik_masked(old), nik_masked(new)
        rows.append((field, old, new))
    return rows


@register.filter
def region_label(region) -> str:
    """'Kecamatan Alak', 'Kota Kupang' (kab/kota names carry their kind already)."""
    if region is None:
        return str(_("Seluruh Indonesia"))
    kind = REGION_KINDS.get(region.kind)
    return f"{kind} {region.name}" if kind else region.name


@register.filter
def minutes(delta) -> int:
    """A timedelta in whole minutes (the lockout page says how long to wait)."""
    return int(delta.total_seconds() // 60) if delta else 0
