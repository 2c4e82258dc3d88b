import pytest

from ektp.printing.tests.factories import print_point, printer


@pytest.fixture(scope="session")
def suket_key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("suket-key")


@pytest.fixture(autouse=True)
def suket_key(settings, suket_key_dir):
    """Temporary certificates are signed with a key kept outside the working directory."""
    settings.EKTP_SUKET_KEY_FILE = suket_key_dir / "suket-signing.pem"


@pytest.fixture
def office(db):
    """The Dinas Dukcapil of Kota Kupang, a print point for the whole city."""
    return print_point()


@pytest.fixture
def hdp(office):
    """A working card printer at the Dinas."""
    return printer(office)
