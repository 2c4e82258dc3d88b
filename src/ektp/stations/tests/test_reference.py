"""Residents as reference data: central sends the residents of a station's area, page by page
after the station's cursor; the station mirrors them by NIK and KK number."""

from datetime import date

import pytest
from django.test import override_settings

from ektp.enrollment.tests.factories import PersonFactory
from ektp.residents.models import Family, Resident
from ektp.residents.services import resident_record_death
from ektp.stations import reference
from ektp.stations.models import Station, StationIdentity
from ektp.stations.tests.in_process_sync import STATION
from ektp.stations.tests.test_leases import sync


def _pages(station: Station, cursor: str = "") -> list[dict]:
    pages = []
    while True:
        page = reference.residents_page(station, cursor)
        pages.append(page)
        cursor = page["residents_cursor"]
        if not page["residents_more"]:
            return pages


def test_central_pages_the_residents_of_the_stations_area(station, monkeypatch):
    monkeypatch.setattr(reference, "PAGE", 2)
    inside = [PersonFactory() for _ in range(5)]
    PersonFactory(family__village_id="32.76.01.1006")  # Depok: another office's area
    pages = _pages(Station.objects.get(code=STATION))
    sent = [row["nik"] for page in pages for row in page["residents"]]
    assert [len(page["residents"]) for page in pages] == [2, 2, 1]
    assert sorted(sent) == sorted(r.nik for r in inside)
    # Later, one of them dies at central: only that change comes with the next page.
    resident_record_death(actor=None, resident_id=inside[1].pk, died_on=date(2026, 1, 5),
                          document_ref="AKTA-1")
    later = reference.residents_page(Station.objects.get(code=STATION),
                                     pages[-1]["residents_cursor"])
    assert [(r["nik"], r["status"], r["died_on"]) for r in later["residents"]] == [
        (inside[1].nik, "deceased", "2026-01-05")]


def _row_like(resident: Resident, **changes) -> dict:
    row = reference._resident_row(resident)
    row.update(changes)
    return row


def test_the_station_mirrors_new_and_changed_residents(db):
    model = PersonFactory()
    newcomer = _row_like(model, nik="5371014507990001", name="MARIA NAHAK",
                         family={**reference._resident_row(model)["family"],
                                 "kk_number": "5371010101250099"})
    assert reference.residents_apply([newcomer], "2026-12-01T00:00:00Z|7") == 1
    local = Resident.objects.get(nik="5371014507990001")
    assert local.name == "MARIA NAHAK" and local.family.kk_number == "5371010101250099"
    assert reference.residents_apply([{**newcomer, "name": "MARIA NAHAK SERAN"}], None) == 1
    local.refresh_from_db()
    assert local.name == "MARIA NAHAK SERAN"
    assert Resident.objects.filter(nik="5371014507990001").count() == 1


@pytest.mark.parametrize("damage", [
    lambda row: row["family"].update(village="99.99.99.9999"),  # a village unknown here
    lambda row: row.pop("birth_date"),
    lambda row: row.update(birth_date="kemarin"),
    lambda row: row.update(family="rusak"),
])
def test_a_row_the_station_cannot_place_is_left_out_whole(db, damage):
    row = _row_like(PersonFactory(), nik="5371014507990002",
                    family={"kk_number": "5371010101250098", "village": "53.71.01.1001",
                            "address": "JL. TIMOR RAYA", "rt": "001", "rw": "002"})
    damage(row)
    families = Family.objects.count()
    assert reference.residents_apply([row], None) == 0
    assert not Resident.objects.filter(nik="5371014507990002").exists()
    assert Family.objects.count() == families


def test_a_sync_carries_the_residents_cursor(station):
    PersonFactory()
    report = sync()
    assert report.pulled["residents"] >= 1
    with override_settings(EKTP_ROLE="station"):
        assert StationIdentity.objects.get().residents_cursor.count("|") == 1
