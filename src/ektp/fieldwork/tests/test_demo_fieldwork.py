"""The demo's field work and drive (``ektp.demo.fieldwork``) on a small Kupang."""

import random

import pytest

from ektp.accounts import rules as roles
from ektp.demo.fieldwork import KELURAHAN_POINTS, run_fieldwork
from ektp.fieldwork.models import Visit
from ektp.fieldwork.tests.factories import ALAK, KOTA_KUPANG, kupang_register, person, user
from ektp.printing import drive_selectors
from ektp.printing.tests.factories import print_point, printer

pytestmark = pytest.mark.django_db


def test_the_demo_makes_a_campaign_with_visits_and_a_drive():
    kupang_register()
    for _ in range(10):
        person()
    printer(print_point())
    officer = user(roles.FIELD_OFFICER, ALAK)
    result = run_fieldwork(actor=None, kupang=KOTA_KUPANG, officer=officer,
                           rng=random.Random(1))
    assert result.campaign.entries.count() == 15
    assert sum(result.visits.values()) == Visit.objects.count() == 14  # Alak's entries
    progress = drive_selectors.drive_progress(result.drive, result.drive.points.all())
    assert len(progress.points) == 1 + KELURAHAN_POINTS
    first = progress.points[1]
    assert (first.requested, first.received_on_request, first.sent) == (60, 30, 30)
