"""The steps of ``ektp demo --stations`` that run inside one node (``ektp demo_node STEP``):
central's setup and checks, a station's recordings, offline prints and figures. Each returns
JSON-ready data; the orchestration (``stations_demo``) reads it."""

from collections import Counter

from django.db.models import Max, Sum
from django.utils import timezone

from ektp.accounts.scoping import region_filter
from ektp.dedup.services import dedup_run_queue
from ektp.demo.builder import KUPANG, DemoBuilder
from ektp.demo.operations import set_up_offices
from ektp.demo.operators import ensure_demo_users
from ektp.devices.models import Office
from ektp.devices.services import device_register, office_create
from ektp.enrollment.models import Enrollment
from ektp.errors import Conflict
from ektp.issuance import rules
from ektp.issuance.models import Application, ApplicationHistory
from ektp.issuance.services import application_transition
from ektp.regions.models import Region
from ektp.regions.services import regions_load
from ektp.residents import reference
from ektp.residents.models import Resident
from ektp.residents.rules import is_wajib_ktp
from ektp.residents.services import family_create, resident_register
from ektp.stations.models import (
    OutboxPacket,
    PrefetchedRecord,
    ReceivedPacket,
    RejectedPacket,
    Station,
    StationIdentity,
    SyncConflict,
)
from ektp.stations.selectors import sequence_gaps
from ektp.stations.station_pull import prefetched_print
from ektp.supplies.models import Item, StockBalance
from ektp.supplies.selectors import ledger_check
from ektp.supplies.services import allocation_receive

# A kecamatan recording point in Alak and a print point in Oebobo, each a station laptop.
RECORDING_STATION = {"code": "KPG-ALAK-01", "office": "UPT-537101", "region": "53.71.01"}
PRINT_STATION = {"code": "KPG-OEBOBO-C1", "office": "CETAK-537103", "region": "53.71.03"}
PRINT_POINT_BLANKS = 30
OUT_OF_STOCK = frozenset({"blank_out", "ribbon_out", "film_out"})


def central_setup(*, residents: int, print_ready: int, seed: int = 2025) -> dict:
    """Central's register, offices and the print point's stock; ``print_ready`` residents of
    the print point's kecamatan recorded at the Dinas and through penunggalan (PRR)."""
    if not Region.objects.filter(code=KUPANG).exists():
        regions_load()
    admin, password = ensure_demo_users()
    builder = DemoBuilder(residents=residents, seed=seed, actor=admin)
    builder.build_register()
    set_up_offices(admin, KUPANG)
    _print_point(admin)
    for resident in _unrecorded_wajib(PRINT_STATION["region"], print_ready):
        builder.record(resident, days_ago=30)
    dedup_run_queue(actor=admin)
    return {"password": password,
            "print_ready": Application.objects.filter(status=rules.S_PRR).count()}


def _print_point(admin) -> Office:
    office = office_create(actor=admin, code=PRINT_STATION["office"],
                           name="Titik Cetak Kecamatan Oebobo", kind="upt",
                           region_code=PRINT_STATION["region"], prints_cards=True)
    device_register(actor=admin, office_id=office.pk, kind="card_printer",
                    serial_number="HDP5000-OBB-1", model_name="Fargo HDP5000")
    allocation_receive(actor=admin, office_id=office.pk, item=Item.BLANK,
                       quantity=PRINT_POINT_BLANKS, handover_ref="BA-ST/2025/OBB-1",
                       serial_prefix="KTP25-OBB-", first_serial=1)
    for item in (Item.RIBBON, Item.FILM):
        allocation_receive(actor=admin, office_id=office.pk, item=item, quantity=1,
                           handover_ref="BA-ST/2025/OBB-2")
    return office


def _unrecorded_wajib(region: str, count: int) -> list[Resident]:
    recorded = set(Enrollment.objects.values_list("resident_id", flat=True))
    chosen, today = [], timezone.localdate()
    # Newest first: a resident the register gained since the laptop was set up comes early.
    for resident in (Resident.objects.filter(region_filter("family__village__code", region))
                     .order_by("-pk").iterator()):
        if resident.pk not in recorded and is_wajib_ktp(
                resident.birth_date, resident.marital_status, today):
            chosen.append(resident)
            if len(chosen) == count:
                break
    return chosen


def central_cancel_leased() -> dict:
    """While the print point is cut off, central cancels one record it holds (the applicant
    died): the station, not knowing, prints it; the conflict must come up at the next sync."""
    application = Application.objects.filter(
        status=rules.S_PRR, prefetch_lease__station__code=PRINT_STATION["code"]).order_by(
        "pk").first()
    if application is None:
        return {"cancelled": None}
    application_transition(actor=None, application_id=application.pk,
                           to_status=rules.S_CANCELLED, expected_status=rules.S_PRR,
                           reason="pemohon meninggal dunia")
    return {"cancelled": application.pk}


def central_newcomer() -> dict:
    """A resident registered at central after the laptops were set up (pindah datang into
    Alak): the recording point learns of them at its next sync."""
    village = Region.objects.filter(code__startswith=RECORDING_STATION["region"] + ".",
                                    level=4).order_by("code").first()
    family = family_create(actor=None, village_code=village.code, address="JL. SUMBA",
                           rt="3", rw="2")
    born = timezone.localdate().replace(year=timezone.localdate().year - 30, day=1)
    resident = resident_register(
        actor=None, family_id=family.pk, name="YOHANES BENU", birth_date=born,
        sex=reference.LAKI_LAKI, birth_place="SOE", religion=2, marital_status=reference.KAWIN,
        blood_type=1, occupation=2, relationship=1, mother_name="MARIA TAEK")
    return {"nik": resident.nik}


# --- at a station ------------------------------------------------------------------------------


def station_record(*, count: int) -> dict:
    """Record ``count`` unrecorded wajib KTP residents of the station's kecamatan here."""
    station = StationIdentity.objects.get()
    region = Office.objects.get(code=station.office_code).region_id
    builder = DemoBuilder(residents=0, seed=station.last_sequence + 7)
    sequence = Enrollment.objects.filter(station_code=station.code).aggregate(
        n=Max("sequence"))["n"] or 0
    residents = _unrecorded_wajib(region, count)
    for resident in residents:
        sequence += 1
        builder.record(resident, days_ago=0, station=station.code, sequence=sequence)
    return {"recorded": len(residents)}


def station_print(*, count: int) -> dict:
    """Print up to ``count`` prefetched print-ready records here, offline if need be."""
    printed, stopped = 0, ""
    for record in PrefetchedRecord.objects.filter(
            state=PrefetchedRecord.State.READY).order_by("central_application_id")[:count]:
        try:
            prefetched_print(actor=None, central_id=record.central_application_id)
        except Conflict as error:
            if error.code not in OUT_OF_STOCK:
                raise
            stopped = error.code
            break
        printed += 1
    return {"printed": printed, "stopped": stopped}


def station_summary() -> dict:
    station = StationIdentity.objects.get()
    mine = Application.objects.filter(enrollment__station_code=station.code)
    return {
        "code": station.code, "packets": station.last_sequence,
        "outbox": OutboxPacket.objects.filter(state=OutboxPacket.State.PENDING).count(),
        "outbox_rejected": OutboxPacket.objects.filter(state=OutboxPacket.State.REJECTED).count(),
        "recorded": Enrollment.objects.filter(station_code=station.code).count(),
        "statuses": dict(Counter(mine.values_list("status", flat=True))),
        "prefetched": dict(Counter(PrefetchedRecord.objects.values_list("state", flat=True))),
        "conflicts": SyncConflict.objects.count(),
        "last_sync_at": station.last_sync_at.isoformat() if station.last_sync_at else ""}


# --- central's checks --------------------------------------------------------------------------


def central_check() -> dict:
    """What arrived from each station, once or not, and whether the stock ledgers balance."""
    stations = {}
    for station in Station.objects.all():
        rows = ReceivedPacket.objects.filter(station=station)
        stations[station.code] = {
            "received": rows.count(), "distinct": rows.values("packet_id").distinct().count(),
            "highest": rows.aggregate(n=Max("sequence"))["n"] or 0,
            "gaps": sequence_gaps(station.pk), "via_file": rows.filter(via="file").count(),
            "not_applied": rows.exclude(
                outcome=ReceivedPacket.Outcome.APPLIED).count(),
            "enrolled": sorted(Enrollment.objects.filter(station_code=station.code)
                               .values_list("resident__nik", flat=True))}
    printed = list(ApplicationHistory.objects.filter(to_status=rules.S_PRINTED)
                   .values_list("application_id", flat=True))
    return {"stations": stations, "rejected": RejectedPacket.objects.count(),
            "conflicts": list(SyncConflict.objects.values_list("code", flat=True)),
            "printed": len(printed), "printed_distinct": len(set(printed)),
            "ledgers_balance": not ledger_check()[1],
            "print_point_blanks": _balance(PRINT_STATION["office"], Item.BLANK)}


def _balance(office_code: str, item: str) -> int:
    return StockBalance.objects.filter(office__code=office_code, item=item).aggregate(
        n=Sum("quantity"))["n"] or 0
