"""Test set-up shared by every app: the real region list is loaded once per test database."""

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from ektp.regions.services import regions_load

    with django_db_blocker.unblock():
        regions_load()
