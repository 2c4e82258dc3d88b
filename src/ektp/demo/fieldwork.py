"""The demo's field work and printing drive, after the print run: a verification campaign over
the Kupang residents still not recorded, with a first day of visits in kecamatan Alak, and a
two-day printing drive at the Dinas and three kelurahan print points, Depok style.

Every write goes through the services (campaign_create, visit_record, drive_create,
drive_point_set, drive_point_request, drive_point_supply), as an office's would.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from ektp.devices.models import Office
from ektp.devices.services import device_register, office_create
from ektp.errors import DomainError
from ektp.fieldwork import rules as fieldwork_rules
from ektp.fieldwork.models import Campaign, Entry
from ektp.fieldwork.services import campaign_create, visit_record
from ektp.printing.drive_services import (
    drive_create,
    drive_point_request,
    drive_point_set,
    drive_point_supply,
)
from ektp.printing.models import Drive
from ektp.printing.selectors import queue_counts
from ektp.regions.models import Region

ALAK = "53.71.01"
DINAS_CODE = "DINAS-5371"
KELURAHAN_POINTS = 3
KELURAHAN_TARGET = 60
VISITS = 40  # a first day of visits in Alak
# The outcomes of a first day, by weight: most are found and invited, some unknown, a few moved
# away (with their SKPWNI) or died (with their akta kematian).
OUTCOME_WEIGHTS = {fieldwork_rules.PRESENT: 0.6, fieldwork_rules.UNKNOWN: 0.25,
                   fieldwork_rules.MOVED: 0.1, fieldwork_rules.DIED: 0.05}


@dataclass
class FieldworkOutcome:
    campaign: Campaign | None = None
    drive: Drive | None = None
    visits: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _visit_fields(outcome: str, entry: Entry, rng: random.Random, today) -> dict:
    if outcome == fieldwork_rules.PRESENT:
        return {"invited_for": today + timedelta(days=rng.randint(1, 14))}
    if outcome == fieldwork_rules.MOVED:
        destination = Region.objects.filter(parent_id="53.71.02", level=4).order_by("code")
        return {"document_ref": f"SKPWNI/5371/{today:%Y}/{entry.pk:05d}",
                "to_village_code": destination.first().code}
    if outcome == fieldwork_rules.DIED:
        return {"document_ref": f"AKTA-KM/5371/{today:%Y}/{entry.pk:05d}",
                "died_on": today - timedelta(days=rng.randint(30, 400))}
    return {}


def _first_day(officer, campaign: Campaign, rng: random.Random, result: FieldworkOutcome):
    today = timezone.localdate()
    entries = list(Entry.objects.filter(campaign=campaign, village__code__startswith=ALAK + ".")
                   .order_by("pk")[:VISITS])
    outcomes, weights = list(OUTCOME_WEIGHTS), list(OUTCOME_WEIGHTS.values())
    for entry in entries:
        outcome = rng.choices(outcomes, weights=weights)[0]
        try:
            visit_record(actor=officer, entry_id=entry.pk, client_id=f"demo-visit-{entry.pk}",
                         outcome=outcome, visited_on=today,
                         **_visit_fields(outcome, entry, rng, today))
        except DomainError as error:  # e.g. a death before birth in random data: skip it
            result.notes.append(f"kunjungan {entry.pk}: {error.code}")
            continue
        result.visits[outcome] = result.visits.get(outcome, 0) + 1


def _kelurahan_points(actor, kupang: str) -> list[Office]:
    villages = Region.objects.filter(code__startswith=kupang + ".", level=4).order_by("code")
    points = []
    for village in villages[:KELURAHAN_POINTS]:
        office = office_create(actor=actor, code=f"KEL-{village.compact_code}",
                               name=f"Kelurahan {village.name}", kind="kelurahan",
                               region_code=village.code, prints_cards=True)
        device_register(actor=actor, office_id=office.pk, kind="card_printer",
                        serial_number=f"HDP5000-K{village.compact_code}",
                        model_name="Fargo HDP5000")
        points.append(office)
    return points


def _drive(actor, kupang: str, result: FieldworkOutcome) -> Drive:
    now = timezone.now()
    drive = drive_create(actor=actor, name="Cetak massal Kota Kupang (2 hari)",
                         region_code=kupang, starts_at=now - timedelta(hours=3),
                         ends_at=now + timedelta(days=2) - timedelta(hours=3), stall_minutes=30)
    dinas = Office.objects.get(code=DINAS_CODE)
    waiting = queue_counts([dinas])[dinas.pk]
    drive_point_set(actor=actor, drive_id=drive.pk, office_id=dinas.pk,
                    target=max(1, waiting) + 100)
    for number, office in enumerate(_kelurahan_points(actor, kupang)):
        point = drive_point_set(actor=actor, drive_id=drive.pk, office_id=office.pk,
                                target=KELURAHAN_TARGET)
        drive_point_request(actor=actor, point_id=point.pk,
                            letter_number=f"470/{office.code}/DRIVE")
        if number == 0:  # the first point gets half its blanks from the centre
            drive_point_supply(actor=actor, point_id=point.pk, quantity=KELURAHAN_TARGET // 2,
                               handover_ref=f"BA-DRIVE-{office.code}",
                               idempotency_key=f"demo-drive-{drive.pk}-{office.code}",
                               serial_prefix=f"DRV{office.pk:03d}-", first_serial=1)
            result.notes.append(f"{office.code}: {KELURAHAN_TARGET // 2} blangko diterima")
    return drive


def run_fieldwork(*, actor, kupang: str, officer=None, rng: random.Random | None = None
                  ) -> FieldworkOutcome:
    """A campaign (with a first day of visits when a field officer is given) and a drive."""
    rng = rng or random.Random(2025)
    result = FieldworkOutcome()
    try:
        result.campaign = campaign_create(
            actor=actor, name="Verifikasi wajib KTP belum rekam, Kota Kupang",
            region_code=kupang, source=fieldwork_rules.NOT_RECORDED)
    except DomainError as error:  # everyone recorded: nothing to verify
        result.notes.append(f"kampanye: {error.code}")
    if result.campaign is not None and officer is not None:
        _first_day(officer, result.campaign, rng, result)
    result.drive = _drive(actor, kupang, result)
    return result
