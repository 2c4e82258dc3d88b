"""The stations page: permission matrix and what it shows."""

from django.test import override_settings

from ektp.enrollment.tests.factories import KOTA_DEPOK, UserFactory
from ektp.stations.tests.in_process_sync import STATION, enrollment_packet

URL = "/stasiun/"


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_role_without_devices_is_refused(client, db):
    client.force_login(UserFactory(role="field_officer"))
    assert client.get(URL).status_code == 403


def test_central_page_shows_the_regions_stations(client, station):
    from ektp.stations.tests.test_sync import sync

    enrollment_packet(sequence=1)
    sync()
    client.force_login(UserFactory(role="head_of_office"))
    page = client.get(URL).content.decode()
    assert f'id="station-{STATION}"' in page
    client.force_login(UserFactory(role="head_of_office", region_id=KOTA_DEPOK))
    page = client.get(URL).content.decode()
    assert STATION not in page


def test_station_page_says_why_recording_stopped(client, station, settings):
    settings.EKTP_STATION_MIN_FREE_MB = 10**9
    client.force_login(UserFactory(role="supervisor"))
    with override_settings(EKTP_ROLE="station"):
        page = client.get(URL).content.decode()
    assert 'id="guard"' in page and "station_disk_low" in page
