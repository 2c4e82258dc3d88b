"""Every write of field verification: drawing a campaign's list, recording a visit, closing.

A visit carries an id made where it was reported (``client_id``): a retry, or two taps on a
slow connection, returns the visit stored first and writes nothing more. The entry's outcome
moves by a conditional update (``filter(pk, outcome=seen).update``), so two officers reporting
the same resident at once cannot both pass a check made on a stale read. A move or a death is
written to the register by the residents services, as a life event, in the same transaction:
if the register refuses (a missing SKPWNI, a resident already deceased) nothing is stored.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp.audit.services import audit_record
from ektp.errors import Conflict, DomainError, NotFound
from ektp.fieldwork import rules, selectors
from ektp.fieldwork.list_document import ListLine, VillageList, render_village_list
from ektp.fieldwork.models import Campaign, Entry, Visit
from ektp.fieldwork.rules import FieldworkRuleError
from ektp.regions.models import Region
from ektp.regions.selectors import region_get
from ektp.residents import services as residents
from ektp.residents.models import ResidentEvent
from ektp.residents.rules import mask_nik
from ektp.residents.services import SEX_LETTER

# Stored in the register (not translated): the destination office completes the address.
MOVED_ADDRESS = "ALAMAT BELUM LENGKAP (VERIFIKASI LAPANGAN)"
MAX_ENTRIES = 200_000  # a large kabupaten's backlog; more is a mistake in the region chosen
BULK = 1_000
NAME_MAX = 120
# Region levels a campaign may cover: a kabupaten/kota, a kecamatan or one desa/kelurahan.
CAMPAIGN_LEVELS = frozenset({Region.Level.REGENCY, Region.Level.DISTRICT, Region.Level.VILLAGE})


def checked(rule: Callable, *args, **kwargs):
    """Run a pure rule, turning its refusal into a DomainError with the same code."""
    try:
        return rule(*args, **kwargs)
    except FieldworkRuleError as exc:
        raise DomainError(exc.message, code=exc.code) from exc


def _actor(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _campaign_region(region_code: str) -> Region:
    region = region_get(region_code)
    if region.level not in CAMPAIGN_LEVELS:
        raise DomainError(_("A campaign covers a kabupaten/kota, a kecamatan or a desa"),
                          code="region_level")
    return region


@transaction.atomic
def campaign_create(*, actor, name: str, region_code: str, source: str,
                    months_ahead: int | None = None, today: date | None = None) -> Campaign:
    """Draw the list once: every resident of the region the source selects, each under the
    desa they live in. An empty list is refused (nothing to visit), as is a huge one."""
    name = " ".join(str(name or "").split())
    if not name or len(name) > NAME_MAX:
        raise DomainError(_("Give the campaign a name of at most %(n)d characters")
                          % {"n": NAME_MAX}, code="name_invalid")
    months_ahead = checked(rules.check_source, source, months_ahead)
    region = _campaign_region(region_code)
    today = today or timezone.localdate()
    residents_qs = selectors.source_residents(region.code, source, today, months_ahead)
    # No ORDER BY: the list is printed in address order; sorting here cost 8x the query.
    rows = list(residents_qs.order_by().values_list("pk", "family__village_id")
                [:MAX_ENTRIES + 1])
    if not rows:
        raise DomainError(_("Nobody in this region matches the list"), code="campaign_empty")
    if len(rows) > MAX_ENTRIES:
        raise DomainError(_("More than %(n)d residents: choose a smaller region")
                          % {"n": MAX_ENTRIES}, code="campaign_too_large")
    campaign = Campaign.objects.create(name=name, region=region, source=source,
                                       months_ahead=months_ahead, as_of=today,
                                       created_by=_actor(actor))
    Entry.objects.bulk_create(
        [Entry(campaign=campaign, resident_id=pk, village_id=village) for pk, village in rows],
        batch_size=BULK)
    audit_record(actor=actor, action="create", obj=campaign,
                 purpose=f"daftar verifikasi {len(rows)} penduduk")
    return campaign


@transaction.atomic
def campaign_close(*, actor, campaign_id: int) -> Campaign:
    """No more visits are taken; the lists and the progress stay readable."""
    updated = Campaign.objects.filter(pk=campaign_id, closed_at=None).update(
        closed_at=timezone.now())
    if updated != 1:
        if not Campaign.objects.filter(pk=campaign_id).exists():
            raise NotFound(_("Unknown campaign"), code="campaign_unknown")
        raise Conflict(_("The campaign is already closed"), code="campaign_closed")
    return Campaign.objects.get(pk=campaign_id)


class _IdTaken(Exception):
    """A concurrent call with the same ``client_id`` committed its visit first."""


@dataclass(frozen=True)
class VisitResult:
    visit: Visit
    created: bool  # False: a retry of a visit already stored, acknowledged


def _replay(client_id: str, entry_id: int, outcome: str) -> Visit | None:
    visit = Visit.objects.filter(client_id=client_id).first()
    if visit is None:
        return None
    if visit.entry_id != entry_id or visit.outcome != outcome:
        raise Conflict(_("This visit id was used for another visit"), code="client_id_reused")
    return visit


def _open_entry(entry_id: int) -> Entry:
    entry = Entry.objects.select_related("campaign").filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(_("Unknown campaign entry"), code="entry_unknown")
    if entry.campaign.closed_at is not None:
        raise Conflict(_("The campaign is closed"), code="campaign_closed")
    return entry


def _destination(code: str) -> str:
    region = region_get(code.strip())  # an unknown code: 404 region_unknown
    if region.level != Region.Level.VILLAGE:
        raise DomainError(_("A move goes to a desa/kelurahan"), code="region_not_village")
    return region.code


def _advance(entry: Entry, outcome: str, when) -> None:
    if not rules.can_transition(entry.outcome, outcome):
        raise Conflict(_("This resident was already found %(o)s; the entry is closed")
                       % {"o": entry.get_outcome_display()}, code="entry_closed")
    updated = Entry.objects.filter(pk=entry.pk, outcome=entry.outcome,
                                   visits_count=entry.visits_count).update(
        outcome=outcome, visited_at=when, visits_count=entry.visits_count + 1)
    if updated != 1:
        raise Conflict(_("Another visit was recorded meanwhile; reload"), code="entry_changed")


def _register_change(actor, entry: Entry, report: rules.VisitReport) -> ResidentEvent | None:
    """A move or a death goes to the register as a life event, through its own services."""
    if report.outcome == rules.MOVED:
        residents.resident_move(actor=actor, resident_id=entry.resident_id,
                                document_ref=report.document_ref,
                                to_village_code=report.to_village_code,
                                address=MOVED_ADDRESS)
    elif report.outcome == rules.DIED:
        residents.resident_record_death(actor=actor, resident_id=entry.resident_id,
                                        died_on=report.died_on,
                                        document_ref=report.document_ref)
    else:
        return None
    return ResidentEvent.objects.filter(resident_id=entry.resident_id).order_by("-id").first()


def _new_visit(actor, entry: Entry, client_id: str, report: rules.VisitReport, note: str,
               now) -> Visit:
    final = report.outcome in rules.FINAL
    try:
        with transaction.atomic():
            return Visit.objects.create(
                entry=entry, client_id=client_id, outcome=report.outcome,
                visited_on=report.visited_on, officer=_actor(actor), recorded_at=now,
                invited_for=report.invited_for if report.outcome == rules.PRESENT else None,
                died_on=report.died_on if report.outcome == rules.DIED else None,
                document_ref=report.document_ref.strip()[:100] if final else "",
                to_village_id=(report.to_village_code.strip() or None)
                if report.outcome == rules.MOVED else None,
                note=note.strip()[:300])
    except IntegrityError as exc:
        raise _IdTaken from exc


def _store(actor, entry: Entry, client_id: str, report: rules.VisitReport, note: str) -> Visit:
    now = timezone.now()
    # The visit row first: its unique id makes a concurrent retry wait here, then fail.
    visit = _new_visit(actor, entry, client_id, report, note, now)
    _advance(entry, report.outcome, now)
    event = _register_change(actor, entry, report)
    if event is not None:
        Visit.objects.filter(pk=visit.pk).update(resident_event=event)
        visit.resident_event = event
    return visit


@transaction.atomic
def visit_record(*, actor, entry_id: int, client_id: str, outcome: str, visited_on: date,
                 invited_for: date | None = None, died_on: date | None = None,
                 document_ref: str = "", to_village_code: str = "",
                 note: str = "") -> VisitResult:
    """Record one visit. A retry with the same ``client_id`` returns the first visit
    (``created`` False) and writes nothing; the same id for another visit is refused."""
    client_id = checked(rules.check_client_id, client_id)
    if replayed := _replay(client_id, entry_id, outcome):
        return VisitResult(replayed, created=False)
    report = rules.VisitReport(outcome=outcome, visited_on=visited_on, invited_for=invited_for,
                               died_on=died_on, document_ref=document_ref or "",
                               to_village_code=to_village_code or "")
    checked(rules.check_visit, report, timezone.localdate())
    if report.outcome == rules.MOVED:
        report = replace(report, to_village_code=_destination(report.to_village_code))
    entry = _open_entry(entry_id)
    try:
        with transaction.atomic():
            visit = _store(actor, entry, client_id, report, note or "")
    except _IdTaken as exc:  # a concurrent retry with the same id committed first
        if replayed := _replay(client_id, entry_id, outcome):
            return VisitResult(replayed, created=False)
        raise Conflict(_("A visit with this id is being stored; retry"),
                       code="client_id_busy") from exc
    return VisitResult(visit, created=True)


def _list_labels() -> dict[str, str]:
    return {"no": _("No"), "nik": _("NIK"), "name": _("Nama"), "sex": _("L/P"),
            "born": _("Tgl lahir"), "address": _("Alamat"), "present": _("Ada"),
            "moved": _("Pindah"), "died": _("Meninggal"), "unknown": _("Tdk tahu"),
            "note": _("Tgl undangan"), "as_of": _("Data per"), "page": _("Halaman"),
            "printed": _("Dicetak"),
            "footer": _("Pindah: catat nomor SKPWNI dan desa tujuan. Meninggal: catat nomor "
                        "akta kematian dan tanggalnya. Lalu catat hasilnya di aplikasi.")}


def _list_line(number: int, entry: Entry) -> ListLine:
    resident, family = entry.resident, entry.resident.family
    return ListLine(number=number, nik_masked=mask_nik(resident.nik), name=resident.name,
                    sex=SEX_LETTER.get(resident.sex, ""), birth_date=resident.birth_date,
                    address=f"{family.address} RT {family.rt}/RW {family.rw}",
                    kk_masked=mask_nik(family.kk_number))


@transaction.atomic
def village_list_pdf(*, actor, campaign: Campaign, village: Region,
                     entries: list[Entry]) -> bytes:
    """The printable list of one village (NIK masked); the export is audited."""
    doc = VillageList(
        title=_("DAFTAR VERIFIKASI LAPANGAN"), campaign=campaign.name,
        village=village.name, district=village.parent.name if village.parent else "",
        as_of=campaign.as_of, printed_on=timezone.localdate(), labels=_list_labels(),
        lines=[_list_line(n, entry) for n, entry in enumerate(entries, start=1)])
    audit_record(actor=actor, action="export", obj=campaign,
                 purpose=f"daftar kunjungan {village.code}: {len(entries)} penduduk")
    return render_village_list(doc)
