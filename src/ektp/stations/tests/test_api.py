"""Registration and visibility over the API, with the permission matrix."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ektp.enrollment.tests.factories import KOTA_DEPOK, UserFactory
from ektp.stations import keys, packets
from ektp.stations.models import Station
from ektp.stations.tests.in_process_sync import PASSWORD, STATION, enrollment_packet


def _public() -> str:
    return packets.b64(packets.raw_public(Ed25519PrivateKey.generate().public_key()))


def _auth(user) -> dict:
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def register(client, user, **body):
    data = {"code": "KPG-MAULAFA-01", "office_code": "DINAS-5371", "public_key": _public(),
            **body}
    return client.post("/api/stations/register", data, content_type="application/json",
                       headers=_auth(user) if user else {})


def test_register_answers_central_keys(client, admin, office):
    response = register(client, admin)
    assert response.status_code == 201
    assert response.json()["central_key_id"] == keys.central_public_keys()["central_key_id"]
    assert Station.objects.get().code == "KPG-MAULAFA-01"


def test_registering_again_is_idempotent_but_a_taken_code_is_refused(client, admin, office):
    key = _public()
    assert register(client, admin, public_key=key).status_code == 201
    assert register(client, admin, public_key=key).status_code == 201
    refused = register(client, admin)
    assert (refused.status_code, refused.json()["code"]) == (409, "station_code_taken")
    assert Station.objects.count() == 1


@pytest.mark.parametrize("body, status, code", [
    ({"public_key": "AAAA"}, 400, "station_key_invalid"),
    ({"code": "x"}, 400, "station_code"),
    ({"office_code": "NOPE"}, 404, "office_unknown"),
])
def test_bad_registrations_write_nothing(client, admin, office, body, status, code):
    response = register(client, admin, **body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not Station.objects.exists()


def test_registration_permissions(client, office):
    assert register(client, None).status_code == 401
    operator = UserFactory(role="recording_operator", password=PASSWORD)
    assert register(client, operator).json()["code"] == "forbidden"
    elsewhere = UserFactory(role="supervisor", region_id=KOTA_DEPOK, password=PASSWORD)
    assert register(client, elsewhere).json()["code"] == "office_unknown"
    assert not Station.objects.exists()


def test_station_overview_and_scoping(client, station, office):
    from ektp.stations.tests.test_sync import sync

    enrollment_packet(sequence=1)
    sync()
    head = UserFactory(role="head_of_office", password=PASSWORD)
    client.force_login(head)
    [row] = client.get("/api/stations").json()
    assert row["code"] == STATION and row["received"] == 1 and row["gaps"] == []
    assert row["last_contact_at"] and row["queue_length"] == 0  # reported at the pull
    assert client.get(f"/api/stations/{STATION}").json()["highest_sequence"] == 1
    client.force_login(UserFactory(role="head_of_office", region_id=KOTA_DEPOK))
    assert client.get("/api/stations").json() == []
    assert client.get(f"/api/stations/{STATION}").status_code == 404
    client.logout()
    assert client.get("/api/stations").status_code == 401


def test_sync_endpoints_refuse_unsigned_requests(client, station):
    response = client.post("/api/stations/sync/push", b'{"packets":[]}',
                           content_type="application/json",
                           headers={"X-Ektp-Station": STATION, "X-Ektp-Signature": "AAAA"})
    assert (response.status_code, response.json()["code"]) == (401, "bad_signature")
    response = client.post("/api/stations/sync/pull", b"{}", content_type="application/json",
                           headers={"X-Ektp-Station": "NOBODY"})
    assert (response.status_code, response.json()["code"]) == (401, "unknown_station")


class Recorder:
    """The line between station and central, keeping a copy of every request it carried."""

    def __init__(self):
        from ektp.stations.tests.in_process_sync import CentralInProcess

        self.inner, self.base_url, self.sent = CentralInProcess(), "http://testserver", []

    def post(self, path, body, headers):
        self.sent.append((path, body, headers))
        return self.inner.post(path, body, headers)


def test_a_request_replayed_from_the_line_is_refused(station, office):
    """Someone who copied a signed pull off the line cannot fetch the card data again."""
    from django.test import override_settings

    from ektp.printing.tests.factories import print_ready
    from ektp.stations.client import SyncClient

    print_ready()
    line = Recorder()
    with override_settings(EKTP_ROLE="station"):
        assert SyncClient(line).sync().pulled["prefetched"] == 1
    path, body, headers = line.sent[-1]
    assert path == "/api/stations/sync/pull"
    replayed = line.inner.post(path, body, headers)
    assert replayed.status == 409 and b"request_replayed" in replayed.body
    assert b"card" not in replayed.body
    with override_settings(EKTP_ROLE="station"):
        assert SyncClient(line).sync().pulled["prefetched"] == 0  # the station goes on
