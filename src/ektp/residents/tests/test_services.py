"""The register's services: NIK and KK issuing, registration with a given NIK, life events."""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from ektp.audit.models import AuditEvent
from ektp.errors import Conflict, DomainError, NotFound
from ektp.issuance import rules as issuance_rules
from ektp.issuance.models import Application
from ektp.issuance.services import application_start
from ektp.residents import reference, services
from ektp.residents.models import Family, Resident, ResidentEvent
from ektp.residents.tests.factories import (
    DEPOK,
    NAMOSAIN,
    OEPURA,
    FamilyFactory,
    ResidentFactory,
    UserFactory,
    row_counts,
)

pytestmark = pytest.mark.django_db

BORN = date(1995, 8, 7)


def register(actor, family, **overrides) -> Resident:
    values = {
        "family_id": family.pk, "name": "Maria Goreti Lakapu", "birth_place": "KUPANG",
        "birth_date": BORN, "sex": reference.PEREMPUAN, "religion": 3,
        "marital_status": reference.BELUM_KAWIN, "occupation": 3, "relationship": 4,
        **overrides,
    }
    return services.resident_register(actor=actor, **values)


@contextmanager
def raises_code(exc_type, code: str):
    """pytest.raises for a DomainError subclass that also checks its stable code."""
    with pytest.raises(exc_type) as info:
        yield info
    assert info.value.code == code


@pytest.fixture
def actor():
    return UserFactory()


@pytest.fixture
def family():
    return FamilyFactory(village_id=NAMOSAIN)


# --- NIK issuing --------------------------------------------------------------------------------


def test_first_nik_has_the_kecamatan_the_birth_date_plus_40_and_serial_0001(actor, family):
    resident = register(actor, family)
    # 53.71.01 Alak | 07+40 = 47, 08, 95 | first serial
    assert resident.nik == "5371014708950001"
    assert resident.nik_warnings == []
    assert resident.name == "MARIA GORETI LAKAPU"


def test_a_man_gets_the_plain_day_and_the_prefix_of_his_family_kecamatan(actor):
    maulafa = FamilyFactory(village_id=OEPURA)
    resident = register(actor, maulafa, name="Yakobus Tefa", sex=reference.LAKI_LAKI)
    assert resident.nik == "5371020708950001"


def test_serial_increments_per_prefix_and_starts_again_for_another(actor, family):
    first, second = register(actor, family), register(actor, family, name="Ana Maria Bria")
    other_day = register(actor, family, name="Ina Lenggu", birth_date=date(1995, 8, 8))
    assert (first.nik[12:], second.nik[12:]) == ("0001", "0002")
    assert first.nik[:12] == second.nik[:12]
    assert other_day.nik == "5371014808950001"


def test_serial_follows_the_highest_one_taken(actor, family):
    ResidentFactory(nik="5371014708950007", family=family)
    assert register(actor, family).nik == "5371014708950008"


def test_registration_writes_its_event_and_audit_row(actor, family):
    resident = register(actor, family)
    event = resident.events.get()
    assert (event.kind, event.actor, event.site) == ("registered", actor, "DINAS")
    audit = AuditEvent.objects.get(object_id=str(resident.pk))
    assert (audit.action, audit.nik, audit.actor) == ("create", resident.nik, actor)


def test_unknown_family_is_refused(actor):
    with raises_code(NotFound, "family_unknown"):
        register(actor, Family(pk=999_999))


def test_a_code_outside_the_siak_list_is_refused(actor, family):
    before = row_counts()
    with raises_code(DomainError, "reference_code_unknown"):
        register(actor, family, religion=99)
    assert row_counts() == before


CONCURRENT_REGISTRATIONS = 8


def _in_memory_sqlite_lock():
    """SQLite's test database is in memory with a shared cache, where a second writer fails at
    once with "database table is locked" instead of waiting out the busy timeout as it does on
    the WAL file in production. There the threads take turns, as SQLite's single write lock
    would make them; elsewhere nothing is held and the inserts really race."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return threading.Lock()
    return nullcontext()


# A transactional test flushes the tables of the apps it may use when it ends. Naming them keeps
# the region list (loaded once per test database) out of the flush; the cascade still empties
# every table that refers to these.
@pytest.mark.django_db(
    transaction=True, available_apps=["ektp.accounts", "ektp.audit", "ektp.residents"]
)
def test_concurrent_registrations_get_distinct_niks():
    """Eight operators register people with the same birth date, sex and kecamatan at once.
    On PostgreSQL the inserts really overlap and the unique index makes the losers retry;
    on SQLite the write lock serialises them, which must give the same result."""
    actor, family = UserFactory(), FamilyFactory(village_id=NAMOSAIN)
    start = threading.Barrier(CONCURRENT_REGISTRATIONS, timeout=30)
    one_writer = _in_memory_sqlite_lock()

    def register_one(index: int) -> str:
        try:
            start.wait()
            with one_writer:
                return register(actor, family, name=f"Maria Lakapu {chr(65 + index)}").nik
        finally:
            connection.close()  # each thread has its own connection; leave none open

    with ThreadPoolExecutor(CONCURRENT_REGISTRATIONS) as pool:
        niks = list(pool.map(register_one, range(CONCURRENT_REGISTRATIONS)))

    assert len(set(niks)) == CONCURRENT_REGISTRATIONS
    assert sorted(nik[12:] for nik in niks) == [f"{n:04d}" for n in range(1, 9)]
    assert {nik[:12] for nik in niks} == {"537101470895"}
    assert ResidentEvent.objects.filter(kind="registered").count() == CONCURRENT_REGISTRATIONS


# --- registering with a known NIK ---------------------------------------------------------------


def test_given_nik_with_pre_pemekaran_prefix_is_stored_with_a_warning(actor, family):
    # 91.01 was Merauke before Papua Selatan was split off (now 93.01).
    resident = register(actor, family, nik="9101-0147 0895 0003")
    assert resident.nik == "9101014708950003"
    assert [w["code"] for w in resident.nik_warnings] == ["nik_region_unknown"]


def test_given_nik_with_another_birth_date_is_stored_with_a_warning(actor, family):
    resident = register(actor, family, nik="5371014708950005", birth_date=date(1995, 8, 9))
    assert resident.birth_date == date(1995, 8, 9)  # the recorded date prevails
    assert [w["code"] for w in resident.nik_warnings] == ["nik_birth_date_mismatch"]


def test_given_nik_with_every_warning_is_still_registered(actor, family):
    resident = register(actor, family, nik="9101010708950001", birth_date=date(1995, 8, 9))
    assert {w["code"] for w in resident.nik_warnings} == {
        "nik_region_unknown", "nik_sex_mismatch", "nik_birth_date_mismatch"}
    assert Resident.objects.filter(nik="9101010708950001").exists()


@pytest.mark.parametrize(("nik", "code"), [
    ("53710147089500", "nik_format"),
    ("5371014713950001", "nik_month"),
    ("5371010008950001", "nik_day"),
    ("5371013102950001", "nik_date"),
    ("5371014708950000", "nik_serial_zero"),
    ("2071014708950001", "nik_province_unknown"),
])
def test_impossible_nik_is_refused_and_nothing_written(actor, family, nik, code):
    before = row_counts()
    with raises_code(DomainError, code):
        register(actor, family, nik=nik)
    assert row_counts() == before


def test_a_nik_already_registered_is_a_conflict(actor, family):
    ResidentFactory(nik="5371014708950001", family=family)
    before = row_counts()
    with raises_code(Conflict, "nik_exists"):
        register(actor, family, nik="5371014708950001")
    assert row_counts() == before


# --- KK issuing and validation ------------------------------------------------------------------


def test_kk_number_is_issued_from_kecamatan_and_recording_date(actor):
    day = date(2024, 3, 15)
    first = services.family_create(actor=actor, village_code=NAMOSAIN, address="jl. alak",
                                   rt="1", rw="12", recorded_on=day)
    second = services.family_create(actor=actor, village_code="5371011002", address="JL. B",
                                    rt="3", rw="4", recorded_on=day)
    assert (first.kk_number, second.kk_number) == ("5371011503240001", "5371011503240002")
    assert (first.address, first.rt, first.rw) == ("JL. ALAK", "001", "012")
    assert second.village_id == "53.71.01.1002"


def test_kk_number_defaults_to_today(actor):
    family = services.family_create(actor=actor, village_code=DEPOK, address="JL. MARGONDA",
                                    rt="1", rw="1")
    assert family.kk_number == f"327601{timezone.localdate():%d%m%y}0001"


def test_a_given_kk_number_is_validated_and_kept(actor):
    family = services.family_create(actor=actor, village_code=NAMOSAIN, address="JL. A",
                                    rt="1", rw="1", kk_number="5371.0115.0320.0009")
    assert family.kk_number == "5371011503200009"


@pytest.mark.parametrize(("changes", "exc_type", "code"), [
    ({"kk_number": "537101150320"}, DomainError, "kk_format"),
    ({"kk_number": "5371013102200001"}, DomainError, "kk_date"),
    ({"kk_number": "5371011503200000"}, DomainError, "kk_serial_zero"),
    ({"village_code": "53.71.01"}, DomainError, "region_not_village"),
    ({"village_code": "53.71.01.9999"}, NotFound, "region_unknown"),
    ({"village_code": "not a code"}, NotFound, "region_unknown"),
    ({"rt": "1000"}, DomainError, "rt_invalid"),
    ({"rw": "x"}, DomainError, "rw_invalid"),
])
def test_bad_family_input_is_refused_and_nothing_written(actor, changes, exc_type, code):
    values = {"village_code": NAMOSAIN, "address": "JL. A", "rt": "1", "rw": "1", **changes}
    with raises_code(exc_type, code):
        services.family_create(actor=actor, **values)
    assert Family.objects.count() == 0


def test_a_kk_number_dated_in_the_future_is_refused(actor):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with raises_code(DomainError, "kk_date_future"):
        services.family_create(actor=actor, village_code=NAMOSAIN, address="JL. A", rt="1",
                               rw="1", kk_number=f"537101{tomorrow:%d%m%y}0001")


def test_a_kk_number_already_registered_is_a_conflict(actor):
    FamilyFactory(kk_number="5371011503200009")
    with raises_code(Conflict, "kk_exists"):
        services.family_create(actor=actor, village_code=NAMOSAIN, address="JL. A", rt="1",
                               rw="1", kk_number="5371011503200009")
    assert Family.objects.count() == 1


# --- move (pindah datang) -----------------------------------------------------------------------


def test_move_to_a_new_village_issues_a_new_kk_and_keeps_the_nik(actor):
    resident = ResidentFactory()
    old_kk, nik = resident.family.kk_number, resident.nik
    services.resident_move(actor=actor, resident_id=resident.pk, document_ref="SKPWNI/123/2026",
                           to_village_code=OEPURA, address="JL. OEPURA", rt="2", rw="3")
    resident.refresh_from_db()
    assert resident.nik == nik
    assert resident.family.village_id == OEPURA
    assert resident.family.kk_number.startswith("537102")
    event = resident.events.get(kind="moved")
    assert event.changes == {"kk_number": [old_kk, resident.family.kk_number],
                             "village": [NAMOSAIN, OEPURA]}
    assert (event.document_type, event.document_ref) == ("skpwni", "SKPWNI/123/2026")
    assert AuditEvent.objects.filter(action="change", nik=nik).count() == 1


def test_move_into_an_existing_kk(actor):
    resident, destination = ResidentFactory(), FamilyFactory(village_id=OEPURA)
    services.resident_move(actor=actor, resident_id=resident.pk, document_ref="SKPWNI/9",
                           to_village_code="", to_kk_number=destination.kk_number)
    resident.refresh_from_db()
    assert resident.family == destination
    assert Family.objects.count() == 2  # no KK made


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"document_ref": "  "}, "document_required"),
    ({"to_kk_number": "same"}, "move_same_family"),
    ({"to_village_code": "53.71.02"}, "region_not_village"),
])
def test_bad_move_is_refused_and_nothing_written(actor, kwargs, code):
    resident = ResidentFactory()
    if kwargs.get("to_kk_number") == "same":
        kwargs["to_kk_number"] = resident.family.kk_number
    values = {"document_ref": "SKPWNI/1", "to_village_code": OEPURA, "address": "JL. A",
              **kwargs}
    before = row_counts()
    with raises_code(DomainError, code):
        services.resident_move(actor=actor, resident_id=resident.pk, **values)
    assert row_counts() == before


# --- death --------------------------------------------------------------------------------------


def test_death_sets_the_status_logs_the_event_and_cancels_open_applications(actor):
    resident = ResidentFactory()
    waiting = application_start(actor=actor, resident=resident, kind="new",
                                status=issuance_rules.S_BIO)
    printable = application_start(actor=actor, resident=resident, kind="new",
                                  status=issuance_rules.S_PRR)
    done = application_start(actor=actor, resident=resident, kind="new",
                             status=issuance_rules.S_ISSUED)
    services.resident_record_death(actor=actor, resident_id=resident.pk,
                                   died_on=date(2026, 1, 2), document_ref="AKTA-KM/77")
    resident.refresh_from_db()
    assert (resident.status, resident.died_on) == ("deceased", date(2026, 1, 2))
    event = resident.events.get(kind="died")
    assert (event.document_type, event.document_ref) == ("akta_kematian", "AKTA-KM/77")
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert statuses == {waiting.pk: "CANCELLED", printable.pk: "CANCELLED",
                        done.pk: "CARD_ISSUED"}


@pytest.mark.parametrize(("died_on", "document_ref", "code"), [
    (timezone.localdate() + timedelta(days=1), "AKTA/1", "date_future"),
    (date(1989, 12, 31), "AKTA/1", "death_before_birth"),
    (date(2026, 1, 2), " ", "document_required"),
])
def test_bad_death_is_refused_and_nothing_written(actor, died_on, document_ref, code):
    resident = ResidentFactory()
    before = row_counts()
    with raises_code(DomainError, code):
        services.resident_record_death(actor=actor, resident_id=resident.pk, died_on=died_on,
                                       document_ref=document_ref)
    assert row_counts() == before
    resident.refresh_from_db()
    assert resident.status == "active"


def test_no_life_event_for_the_dead(actor):
    resident = ResidentFactory(status="deceased", died_on=date(2025, 5, 5))
    with raises_code(Conflict, "resident_deceased"):
        services.resident_record_death(actor=actor, resident_id=resident.pk,
                                       died_on=date(2026, 1, 2), document_ref="AKTA/2")


# --- data change --------------------------------------------------------------------------------


def change(actor, resident, changes, document_type="surat_keterangan_kerja", ref="SK/1"):
    return services.resident_change_data(actor=actor, resident_id=resident.pk, changes=changes,
                                         document_type=document_type, document_ref=ref)


def test_dynamic_elements_change_with_any_document(actor):
    resident = ResidentFactory(occupation=9)
    change(actor, resident, {"occupation": 65, "name": "yohanes  ndoen"})
    resident.refresh_from_db()
    assert (resident.occupation, resident.name) == (65, "YOHANES NDOEN")
    event = resident.events.get(kind="data_changed")
    assert event.changes["occupation"] == ["9", "65"]
    assert (event.document_type, event.document_ref) == ("surat_keterangan_kerja", "SK/1")


@pytest.mark.parametrize("document_type", ["surat_keterangan_kerja", "buku_nikah", ""])
def test_a_static_element_needs_an_akta_ijazah_or_medical_document(actor, document_type):
    resident = ResidentFactory()
    before = row_counts()
    with raises_code(DomainError, "static_document_required"):
        change(actor, resident, {"birth_date": date(1990, 1, 2)}, document_type)
    assert row_counts() == before
    resident.refresh_from_db()
    assert resident.birth_date == date(1990, 1, 1)


def test_a_static_element_changes_with_an_akta_and_the_nik_warnings_follow(actor):
    resident = ResidentFactory(nik="5371010101900001", birth_date=date(1990, 1, 1))
    change(actor, resident, {"birth_date": date(1990, 1, 2)}, "akta_lahir", "AL/5")
    resident.refresh_from_db()
    assert resident.birth_date == date(1990, 1, 2)
    assert resident.nik == "5371010101900001"  # never re-issued to match
    assert [w["code"] for w in resident.nik_warnings] == ["nik_birth_date_mismatch"]


@pytest.mark.parametrize(("changes", "code"), [
    ({"nik": "5371010101900002"}, "nik_immutable"),
    ({"status": "deceased"}, "field_unknown"),
    ({}, "no_changes"),
    ({"name": "YOHANES"}, "name_one_word"),
    ({"religion": 42}, "reference_code_unknown"),
])
def test_refused_changes_write_nothing(actor, changes, code):
    resident = ResidentFactory()
    before = row_counts()
    with raises_code(DomainError, code):
        change(actor, resident, changes)
    assert row_counts() == before
