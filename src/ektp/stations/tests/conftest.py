import pytest
from django.test import override_settings

from ektp.enrollment.tests.factories import KOTA_KUPANG, UserFactory
from ektp.printing.tests.factories import print_point
from ektp.stations.tests.in_process_sync import PASSWORD, register_station


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("station-keys")


@pytest.fixture(autouse=True)
def station_keys(settings, key_dir):
    """Keys of the station and of central in a temporary folder, not in the work tree."""
    settings.EKTP_STATION_KEY_FILE = str(key_dir / "station.pem")
    settings.EKTP_CENTRAL_KEY_FILE = str(key_dir / "central.pem")
    settings.EKTP_CENTRAL_BOX_KEY_FILE = str(key_dir / "central-box.pem")
    settings.EKTP_SUKET_KEY_FILE = key_dir / "suket.pem"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EKTP_STATION_MIN_FREE_MB = 1


@pytest.fixture
def office(db):
    """The Dinas of Kota Kupang: a print point for the whole city."""
    return print_point()


@pytest.fixture
def admin(db):
    return UserFactory(role="central_admin", region_id=None, password=PASSWORD)


@pytest.fixture
def station(admin, office):
    """This laptop registered as station KPG-ALAK-01 of the Dinas."""
    return register_station(admin, office_code=office.code)


@pytest.fixture
def as_station(station):
    with override_settings(EKTP_ROLE="station"):
        yield station


__all__ = ["KOTA_KUPANG"]
