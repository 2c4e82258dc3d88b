"""Hand-built registers for the report tests: each person stated with the age, marital status
and application status that matter, so the expected figures can be counted by hand."""

from datetime import timedelta

from django.utils import timezone

from ektp.accounts import rules as roles
from ektp.devices.models import Device, Office
from ektp.issuance.models import Application, ApplicationHistory
from ektp.reports.periods import years_before
from ektp.residents import reference
from ektp.residents.tests.factories import (  # noqa: F401  (re-exported)
    DEPOK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    NAMOSAIN,
    NUNBAUN_SABU,
    OEPURA,
    FamilyFactory,
    ResidentFactory,
    UserFactory,
)
from ektp.supplies.models import StockBalance, StockMovement

ALAK = "53.71.01"
MAULAFA = "53.71.02"


def person(village: str, *, age: int = 30, days: int = 0, married: bool = False,
           status: str | None = None, waited_days: int = 0, steps: tuple = ()):
    """A resident aged ``age`` years (+ ``days``) in ``village``; with ``status``, one
    application that reached it ``waited_days`` ago; ``steps`` are (to_status, days_ago)
    history rows for the daily flow."""
    today = timezone.localdate()
    born = years_before(today, age) - timedelta(days=days)
    marital = reference.KAWIN if married else reference.BELUM_KAWIN
    resident = ResidentFactory(family=FamilyFactory(village_id=village), birth_date=born,
                               marital_status=marital)
    if status:
        at = timezone.now() - timedelta(days=waited_days)
        application = Application.objects.create(resident=resident, kind="new", status=status,
                                                 status_changed_at=at)
        for to_status, ago in steps:
            ApplicationHistory.objects.create(
                application=application, from_status="" if to_status == "BIO_CAPTURED" else "X",
                to_status=to_status, at=timezone.now() - timedelta(days=ago))
    return resident


def user(role: str = roles.HEAD_OF_OFFICE, region: str | None = KOTA_KUPANG):
    return UserFactory(role=role, region_id=region)


def office(code: str, region: str, *, printers=(), kits=(), prints: bool = True) -> Office:
    now = timezone.now()
    made = Office.objects.create(code=code, name=f"Kantor {code}", kind="dinas",
                                 region_id=region, prints_cards=prints)
    Device.objects.bulk_create(
        [Device(office=made, kind="card_printer", serial_number=f"{code}-P{i}", status=s,
                status_changed_at=now) for i, s in enumerate(printers)]
        + [Device(office=made, kind="recording_kit", serial_number=f"{code}-K{i}", status=s,
                  status_changed_at=now) for i, s in enumerate(kits)])
    return made


def stock(office_: Office, item: str, quantity: int, used_per_day: int = 0) -> None:
    StockBalance.objects.create(office=office_, item=item, quantity=quantity)
    now = timezone.now()
    StockMovement.objects.bulk_create([
        StockMovement(office=office_, item=item, kind="consumed", quantity=-used_per_day,
                      at=now - timedelta(days=day, hours=-1)) for day in range(1, 15)
        if used_per_day])
