"""Test set-up shared by every app.

The real region list (91,599 rows) is loaded once per test database. Tests that need real
transactions (``django_db(transaction=True)``, e.g. concurrency tests) end with a flush of the
tables; they are given ``available_apps`` without the regions app, so that flush leaves the
region list in place for the tests after them.
"""

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from ektp.regions.services import regions_load

    with django_db_blocker.unblock():
        regions_load()


def _apps_without_regions() -> list[str]:
    from django.apps import apps

    return [config.name for config in apps.get_app_configs() if config.name != "ektp.regions"]


def pytest_collection_modifyitems(items):
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        if marker.kwargs.get("available_apps") is not None:
            continue
        kwargs = dict(marker.kwargs, available_apps=_apps_without_regions())
        item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
