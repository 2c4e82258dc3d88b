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


# --- printing at a print point station ---------------------------------------------------------

PRINT_URL = "/stasiun/cetak/"


def _prefetched(office):
    from ektp.printing.tests.factories import print_ready, stock
    from ektp.stations.tests.test_sync import sync

    application = print_ready()
    stock(office, 3)
    sync()
    return application


def test_the_print_page_exists_only_on_a_station(client, db):
    client.force_login(UserFactory(role="print_operator"))
    assert client.get(PRINT_URL).status_code == 404


def test_a_print_point_prints_a_held_record_once_and_gets_its_card(client, station, office):
    from ektp.stations.models import OutboxPacket, PrefetchedRecord

    application = _prefetched(office)
    client.force_login(UserFactory(role="print_operator"))
    with override_settings(EKTP_ROLE="station"):
        page = client.get(PRINT_URL).content.decode()
        assert f'id="record-{application.pk}"' in page and application.resident.name in page
        pdf_url = f"{PRINT_URL}{application.pk}/kartu.pdf"
        refused = client.get(pdf_url, follow=True).content.decode()
        assert "not_printed_here" in refused  # no card before the blank is taken
        done = client.post(f"{PRINT_URL}{application.pk}/", follow=True).content.decode()
        assert "KTP25-0000001" in done
        card = client.get(pdf_url)
        packets = OutboxPacket.objects.count()
        again = client.post(f"{PRINT_URL}{application.pk}/", follow=True).content.decode()
    assert card["Content-Type"] == "application/pdf" and card.content.startswith(b"%PDF")
    assert "already_printed" in again and OutboxPacket.objects.count() == packets
    assert PrefetchedRecord.objects.get(central_application_id=application.pk).state == "printed"


def test_printing_needs_print_run(client, station, office):
    from ektp.stations.models import PrefetchedRecord

    application = _prefetched(office)
    client.force_login(UserFactory(role="head_of_office"))
    with override_settings(EKTP_ROLE="station"):
        assert client.get(PRINT_URL).status_code == 200
        assert client.post(f"{PRINT_URL}{application.pk}/").status_code == 403
    assert PrefetchedRecord.objects.get(central_application_id=application.pk).state == "ready"
