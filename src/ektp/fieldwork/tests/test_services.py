"""Field verification services: drawing a campaign from the register, visits (idempotent under
retries, conditional on the entry's state), moves and deaths written as life events, and
refusals that write nothing."""

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from ektp.audit.models import AuditEvent
from ektp.enrollment.tests.factories import application_of, record
from ektp.errors import Conflict, DomainError, NotFound
from ektp.fieldwork import rules, services
from ektp.fieldwork.models import Entry, Visit
from ektp.fieldwork.tests.factories import (
    ALAK,
    NAMOSAIN,
    NUNBAUN_SABU,
    OEPURA,
    client_id,
    entry_of,
    kupang_campaign,
    kupang_register,
    pemula,
    person,
    snapshot,
    user,
)
from ektp.issuance import rules as issuance_rules
from ektp.residents.models import Resident, ResidentEvent

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"


@contextmanager
def refused(exc_type, code: str):
    """The call is refused with ``code`` and writes nothing."""
    before = snapshot()
    with pytest.raises(exc_type) as info:
        yield info
    assert info.value.code == code
    assert snapshot() == before


@pytest.fixture
def officer():
    from ektp.accounts import rules as roles

    return user(roles.FIELD_OFFICER, ALAK)


@pytest.fixture
def people():
    return kupang_register()


@pytest.fixture
def campaign(people):
    return kupang_campaign()


def _visit(entry, outcome=rules.UNKNOWN, *, actor=None, key=None, **fields):
    today = timezone.localdate()
    fields.setdefault("visited_on", today)
    if outcome == rules.PRESENT:
        fields.setdefault("invited_for", today + timedelta(days=7))
    return services.visit_record(actor=actor, entry_id=entry.pk, client_id=key or client_id(),
                                 outcome=outcome, **fields)


# --- drawing a campaign ---------------------------------------------------------------------


def test_a_campaign_lists_the_regions_wajib_ktp_with_no_recording_under_their_village(people):
    campaign = kupang_campaign()
    listed = dict(Entry.objects.filter(campaign=campaign).values_list("resident_id",
                                                                      "village_id"))
    expected = {r.pk: NAMOSAIN for r in people["namosain"]}
    expected |= {people["nunbaun"].pk: NUNBAUN_SABU, people["oepura"].pk: OEPURA}
    assert listed == expected  # not the recorded one, not Depok's
    assert campaign.as_of == timezone.localdate() and campaign.months_ahead is None
    audit = AuditEvent.objects.get(object_type="fieldwork.campaign")
    assert audit.action == "create" and audit.nik == ""


def test_a_kecamatan_campaign_lists_only_its_villages(people):
    campaign = kupang_campaign(region=ALAK)
    assert Entry.objects.filter(campaign=campaign).count() == 4


def test_the_first_time_source_lists_those_turning_17_in_the_months_ahead(people):
    soon, later, today_17 = pemula(20), pemula(200), pemula(0)
    campaign = kupang_campaign(source=rules.FIRST_TIME, months_ahead=3)
    assert set(Entry.objects.filter(campaign=campaign).values_list("resident_id", flat=True)
               ) == {soon.pk}
    assert campaign.months_ahead == 3
    assert today_17.pk in set(Entry.objects.filter(campaign=kupang_campaign()).values_list(
        "resident_id", flat=True))  # 17 today: on the not-recorded list instead
    assert later.pk  # turns 17 after the window: on neither


def test_a_recorded_pemula_is_not_listed():
    record(pemula(30))
    with refused(DomainError, "campaign_empty"):
        kupang_campaign(source=rules.FIRST_TIME, months_ahead=3)


@pytest.mark.parametrize("fields, exc_type, code", [
    ({"name": "  "}, DomainError, "name_invalid"),
    ({"name": "x" * 121}, DomainError, "name_invalid"),
    ({"source": "everyone"}, DomainError, "source_unknown"),
    ({"source": rules.FIRST_TIME}, DomainError, "months_invalid"),
    ({"region": "53"}, DomainError, "region_level"),
    ({"region": "99.99"}, NotFound, "region_unknown"),
    ({"region": "53.01"}, DomainError, "campaign_empty"),
])
def test_bad_campaigns_are_refused_and_write_nothing(people, fields, exc_type, code):
    with refused(exc_type, code):
        kupang_campaign(**fields)


def test_a_closed_campaign_takes_no_visit_and_cannot_be_closed_twice(campaign, people):
    services.campaign_close(actor=None, campaign_id=campaign.pk)
    with refused(Conflict, "campaign_closed"):
        services.campaign_close(actor=None, campaign_id=campaign.pk)
    with refused(Conflict, "campaign_closed"):
        _visit(entry_of(campaign, people["oepura"]))
    with refused(NotFound, "campaign_unknown"):
        services.campaign_close(actor=None, campaign_id=campaign.pk + 99)


# --- visits -----------------------------------------------------------------------------------


def test_present_invites_the_resident_and_changes_nothing_in_the_register(campaign, people,
                                                                          officer):
    entry = entry_of(campaign, people["namosain"][0])
    events = ResidentEvent.objects.count()
    result = _visit(entry, rules.PRESENT, actor=officer)
    assert result.created
    visit = result.visit
    assert visit.invited_for == timezone.localdate() + timedelta(days=7)
    assert visit.officer == officer and visit.resident_event is None
    entry.refresh_from_db()
    assert (entry.outcome, entry.visits_count) == (rules.PRESENT, 1)
    assert ResidentEvent.objects.count() == events


def test_a_retry_is_acknowledged_and_never_stored_twice(campaign, people, officer):
    entry, key = entry_of(campaign, people["namosain"][0]), client_id()
    first = _visit(entry, rules.DIED, actor=officer, key=key, died_on=timezone.localdate(),
                   document_ref="AKTA/5371/2026/77")
    before = snapshot()
    for _ in range(3):
        again = _visit(entry, rules.DIED, actor=officer, key=key,
                       died_on=timezone.localdate(), document_ref="AKTA/5371/2026/77")
        assert not again.created and again.visit.pk == first.visit.pk
    assert snapshot() == before
    assert ResidentEvent.objects.filter(resident=entry.resident_id, kind="died").count() == 1


def test_a_visit_id_reused_for_another_visit_is_refused(campaign, people):
    key = client_id()
    _visit(entry_of(campaign, people["namosain"][0]), key=key)
    with refused(Conflict, "client_id_reused"):
        _visit(entry_of(campaign, people["namosain"][1]), key=key)
    with refused(Conflict, "client_id_reused"):
        _visit(entry_of(campaign, people["namosain"][0]), rules.PRESENT, key=key)


def test_an_absent_resident_is_visited_again_and_the_entry_keeps_the_latest(campaign, people):
    entry = entry_of(campaign, people["oepura"])
    _visit(entry, rules.UNKNOWN)
    _visit(entry, rules.PRESENT)
    entry.refresh_from_db()
    assert (entry.outcome, entry.visits_count) == (rules.PRESENT, 2)
    assert list(entry.visits.values_list("outcome", flat=True)) == [rules.UNKNOWN,
                                                                    rules.PRESENT]


def test_a_move_is_written_to_the_register_as_a_life_event(campaign, people, officer):
    resident = people["namosain"][0]
    entry = entry_of(campaign, resident)
    old_kk = resident.family.kk_number
    visit = _visit(entry, rules.MOVED, actor=officer, document_ref="SKPWNI/3276/2026/12",
                   to_village_code=OEPURA).visit
    resident.refresh_from_db()
    assert resident.family.village_id == OEPURA and resident.family.kk_number != old_kk
    event = visit.resident_event
    assert (event.kind, event.document_type, event.document_ref, event.actor) == (
        ResidentEvent.Kind.MOVED, "skpwni", "SKPWNI/3276/2026/12", officer)
    assert event.changes["village"] == [NAMOSAIN, OEPURA]
    assert visit.to_village_id == OEPURA


def test_a_death_is_written_as_a_life_event_and_cancels_open_applications(campaign, people,
                                                                          officer):
    resident = people["namosain"][1]
    entry = entry_of(campaign, resident)
    died_on = timezone.localdate() - timedelta(days=40)
    visit = _visit(entry, rules.DIED, actor=officer, died_on=died_on,
                   document_ref="AKTA/5371/2026/9").visit
    resident.refresh_from_db()
    assert (resident.status, resident.died_on) == (Resident.Status.DECEASED, died_on)
    assert visit.resident_event.kind == ResidentEvent.Kind.DIED
    assert visit.resident_event.document_ref == "AKTA/5371/2026/9"


def test_a_death_cancels_an_application_made_meanwhile(campaign, people):
    resident = people["namosain"][2]
    application = application_of(record(resident))
    _visit(entry_of(campaign, resident), rules.DIED, died_on=timezone.localdate(),
           document_ref="AKTA/1")
    application.refresh_from_db()
    assert application.status == issuance_rules.S_CANCELLED


def test_a_moved_or_dead_resident_closes_the_entry(campaign, people):
    entry = entry_of(campaign, people["namosain"][0])
    _visit(entry, rules.DIED, died_on=timezone.localdate(), document_ref="AKTA/1")
    with refused(Conflict, "entry_closed"):
        _visit(entry, rules.PRESENT)


@pytest.mark.parametrize("outcome, fields, exc_type, code", [
    ("gone", {}, DomainError, "outcome_unknown"),
    (rules.PRESENT, {"invited_for": None}, DomainError, "invite_date_required"),
    (rules.MOVED, {"to_village_code": OEPURA}, DomainError, "document_required"),
    (rules.MOVED, {"document_ref": "SKPWNI/1"}, DomainError, "destination_required"),
    (rules.MOVED, {"document_ref": "SKPWNI/1", "to_village_code": "53.71.01"}, DomainError,
     "region_not_village"),
    (rules.MOVED, {"document_ref": "SKPWNI/1", "to_village_code": "99.99.99.9999"}, NotFound,
     "region_unknown"),
    (rules.DIED, {"document_ref": "AKTA/1"}, DomainError, "died_on_required"),
    (rules.UNKNOWN, {"key": "short"}, DomainError, "client_id_invalid"),
])
def test_bad_visits_are_refused_with_a_stable_code_and_write_nothing(campaign, people, outcome,
                                                                     fields, exc_type, code):
    entry = entry_of(campaign, people["oepura"])
    with refused(exc_type, code):
        _visit(entry, outcome, **fields)


def test_a_death_before_birth_is_refused_by_the_register_and_nothing_is_stored(campaign,
                                                                               people):
    resident = people["oepura"]
    with refused(DomainError, "death_before_birth"):
        _visit(entry_of(campaign, resident), rules.DIED, document_ref="AKTA/1",
               died_on=resident.birth_date - timedelta(days=1))


def test_a_resident_already_deceased_in_the_register_is_refused_whole(campaign, people):
    from ektp.residents.services import resident_record_death

    resident = people["oepura"]
    resident_record_death(actor=None, resident_id=resident.pk, died_on=timezone.localdate(),
                          document_ref="AKTA/0")
    with refused(Conflict, "resident_deceased"):
        _visit(entry_of(campaign, resident), rules.MOVED, document_ref="SKPWNI/1",
               to_village_code=NAMOSAIN)


def test_an_unknown_entry_is_refused(campaign):
    with refused(NotFound, "entry_unknown"):
        services.visit_record(actor=None, entry_id=999_999, client_id=client_id(),
                              outcome=rules.UNKNOWN, visited_on=timezone.localdate())


def test_a_stale_read_of_the_entry_cannot_pass(campaign, people):
    """Two reports read the entry unvisited; the second's conditional update finds it moved
    on and is refused (what a race between two officers does on PostgreSQL)."""
    entry = entry_of(campaign, people["oepura"])
    stale = Entry.objects.get(pk=entry.pk)
    _visit(entry, rules.UNKNOWN)
    with pytest.raises(Conflict) as info:
        services._advance(stale, rules.PRESENT, timezone.now())
    assert info.value.code == "entry_changed"


# --- the printable list -------------------------------------------------------------------------


def test_the_village_list_is_a_pdf_with_masked_niks_and_its_export_is_audited(campaign, people):
    import pypdfium2

    from ektp.fieldwork import selectors
    from ektp.regions.models import Region

    village = Region.objects.get(code=NAMOSAIN)
    entries = list(selectors.village_entries(Entry.objects.all(), campaign, NAMOSAIN))
    pdf = services.village_list_pdf(actor=None, campaign=campaign, village=village,
                                    entries=entries)
    assert pdf.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1
    text = document[0].get_textpage().get_text_range()
    nik = people["namosain"][0].nik
    assert nik not in text and f"{nik[:4]}********{nik[-4:]}" in text
    assert people["namosain"][0].name in text and "Namosain".upper() in text.upper()
    audit = AuditEvent.objects.filter(object_type="fieldwork.campaign", action="export").get()
    assert NAMOSAIN in audit.purpose and audit.nik == ""


def test_a_long_village_list_runs_to_several_pages():
    import pypdfium2

    from ektp.fieldwork import selectors
    from ektp.fieldwork.list_document import ROWS_PER_PAGE
    from ektp.regions.models import Region

    for _ in range(ROWS_PER_PAGE + 3):
        person()
    campaign = kupang_campaign()
    entries = list(selectors.village_entries(Entry.objects.all(), campaign, NAMOSAIN))
    pdf = services.village_list_pdf(actor=None, campaign=campaign,
                                    village=Region.objects.get(code=NAMOSAIN), entries=entries)
    assert len(pypdfium2.PdfDocument(pdf)) == 2


# --- races (PostgreSQL: on SQLite transactions never overlap) ----------------------------------


def _in_threads(count: int, work) -> list:
    start = threading.Barrier(count, timeout=30)
    results: list = [None] * count

    def run(index):
        try:
            start.wait()
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001  (reported to the test)
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_the_same_visit_sent_at_once_from_retries_is_stored_once():
    """A flaky connection: the tablet sends the same report four times at once."""
    people = kupang_register()
    campaign = kupang_campaign()
    entry, key = entry_of(campaign, people["namosain"][0]), client_id()
    results = _in_threads(4, lambda _i: _visit(entry, rules.DIED, key=key,
                                               died_on=timezone.localdate(),
                                               document_ref="AKTA/5371/1"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert len({r.visit.pk for r in results}) == 1
    assert Visit.objects.count() == 1
    assert ResidentEvent.objects.filter(kind="died").count() == 1
    entry.refresh_from_db()
    assert entry.visits_count == 1


@pytest.mark.skipif(not POSTGRES, reason="needs overlapping transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_officers_reporting_one_resident_at_once_store_one_visit(monkeypatch):
    """Both read the entry unvisited before either writes (a barrier holds them), so the
    conditional update decides: one visit stored, the other refused."""
    people = kupang_register()
    campaign = kupang_campaign()
    entry = entry_of(campaign, people["namosain"][0])
    both_read = threading.Barrier(2, timeout=30)
    real = services._open_entry

    def read_then_wait(entry_id):
        found = real(entry_id)
        both_read.wait()
        return found

    monkeypatch.setattr(services, "_open_entry", read_then_wait)
    results = _in_threads(2, lambda _i: _visit(entry, rules.UNKNOWN))
    stored = [r for r in results if not isinstance(r, Exception)]
    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(stored) == 1 and [e.code for e in refusals] == ["entry_changed"]
    assert Visit.objects.count() == 1
