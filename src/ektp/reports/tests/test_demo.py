"""The demo hook: ``ektp.demo.reports_rollup.demo_reports`` fills the rollups the pages read."""

from io import StringIO

import pytest

from ektp.accounts.models import User
from ektp.demo.reports_rollup import demo_reports
from ektp.reports.models import CoverageRollup
from ektp.reports.tests.factories import NAMOSAIN, person


@pytest.mark.django_db
def test_demo_reports_fills_the_rollups_and_names_the_forecast():
    person(NAMOSAIN, age=30, status="PRINT_READY_RECORD", waited_days=3)
    User.objects.create_superuser("admin", password="x-demo-2026")
    text = demo_reports()
    assert CoverageRollup.objects.get(village_code=NAMOSAIN).prr == 1
    assert "Perkiraan selesai: tidak tercapai" in text  # no printer, no blanks
    assert text.startswith("Laporan: rekap 1 kelurahan")


@pytest.mark.django_db
def test_rollup_command_and_task():
    from io import StringIO

    from django.core.management import call_command

    from ektp.reports.tasks import rollup_refresh_task

    person(NAMOSAIN, age=30, status="CARD_ISSUED", waited_days=3)
    out = StringIO()
    call_command("reports_rollup", "--region", "53.71", stdout=out)
    assert out.getvalue().startswith("1 villages")
    assert rollup_refresh_task.call("53.71") == 1
    assert CoverageRollup.objects.get(village_code=NAMOSAIN).issued == 1


@pytest.mark.django_db
@pytest.mark.parametrize("args, code", [
    (["--region", "53.99"], "region_unknown"),
    (["--flow-days", "0"], "flow_days_invalid"),
])
def test_rollup_command_refuses_bad_input_and_keeps_the_rollups(args, code):
    from django.core.management import CommandError, call_command

    person(NAMOSAIN, age=30, status="CARD_ISSUED", waited_days=3)
    call_command("reports_rollup", "--region", "53.71", stdout=StringIO())
    before = CoverageRollup.objects.count()
    with pytest.raises(CommandError, match=code):
        call_command("reports_rollup", *args, stdout=StringIO())
    assert CoverageRollup.objects.count() == before == 1
