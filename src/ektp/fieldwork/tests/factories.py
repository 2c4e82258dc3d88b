"""Test data for field verification: residents of Kota Kupang who must be visited, a campaign
drawn from them through the service, and a snapshot of every table a visit can write, so a
refusal can be shown to have written nothing."""

import uuid
from datetime import date, timedelta

from django.utils import timezone

from ektp.audit.models import AuditEvent
from ektp.enrollment.tests.factories import (  # noqa: F401  (re-exported for the tests)
    ALAK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    NAMOSAIN,
    OEPURA,
    PersonFactory,
    record,
    user,
)
from ektp.fieldwork import rules
from ektp.fieldwork.models import Campaign, Entry, Visit
from ektp.fieldwork.services import campaign_create
from ektp.issuance.models import Application
from ektp.residents import reference
from ektp.residents.models import Family, Resident, ResidentEvent
from ektp.residents.tests.factories import DEPOK, FamilyFactory

NUNBAUN_SABU = "53.71.01.1002"


def person(village: str = NAMOSAIN, **fields) -> Resident:
    """A wajib KTP resident (born 1970s, married) of ``village``, not recorded."""
    return PersonFactory(family=FamilyFactory(village_id=village), **fields)


def pemula(days_to_17: int, village: str = NAMOSAIN, **fields) -> Resident:
    """Someone unmarried who turns 17 in ``days_to_17`` days."""
    today = timezone.localdate()
    seventeenth = today + timedelta(days=days_to_17)
    born = date(seventeenth.year - 17, seventeenth.month, min(seventeenth.day, 28))
    return PersonFactory(family=FamilyFactory(village_id=village), birth_date=born,
                         marital_status=reference.BELUM_KAWIN, **fields)


def kupang_register() -> dict[str, Resident]:
    """Three to visit in Namosain, one in Nunbaun Sabu (both Alak), one in Oepura (Maulafa);
    one recorded already and one in Depok, neither on a Kupang list."""
    people = {"namosain": [person() for _ in range(3)], "nunbaun": person(NUNBAUN_SABU),
              "oepura": person(OEPURA), "recorded": person(), "depok": person(DEPOK)}
    record(people["recorded"])
    return people


def kupang_campaign(actor=None, region: str = KOTA_KUPANG, **fields) -> Campaign:
    return campaign_create(actor=actor, name=fields.pop("name", "Verifikasi Kupang 2026"),
                           region_code=region, source=fields.pop("source", rules.NOT_RECORDED),
                           **fields)


def entry_of(campaign: Campaign, resident: Resident) -> Entry:
    return Entry.objects.get(campaign=campaign, resident=resident)


def client_id() -> str:
    return str(uuid.uuid4())


def snapshot() -> dict:
    """Every row a campaign or a visit can touch."""
    return {
        "campaigns": sorted(Campaign.objects.values_list("pk", "closed_at")),
        "entries": sorted(Entry.objects.values_list("pk", "outcome", "visits_count")),
        "visits": Visit.objects.count(),
        "residents": sorted(Resident.objects.values_list("pk", "status", "family_id")),
        "families": Family.objects.count(),
        "events": ResidentEvent.objects.count(),
        "applications": sorted(Application.objects.values_list("pk", "status")),
        "audit": AuditEvent.objects.count(),
    }
