"""The report figures against a register small enough to count by hand.

Kota Kupang, kecamatan Alak (Namosain) and Maulafa (Oepura); one resident in Depok who must
never show up in Kupang's figures. Ages and statuses are chosen so each column differs.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from ektp.errors import DomainError, NotFound, PermissionDenied
from ektp.reports import selectors
from ektp.reports.models import CoverageRollup
from ektp.reports.planning import WhatIf, forecast_inputs, forecast_view
from ektp.reports.services import rollup_refresh
from ektp.reports.tests.factories import (
    ALAK,
    DEPOK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    MAULAFA,
    NAMOSAIN,
    OEPURA,
    office,
    person,
    stock,
    user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def register():
    person(NAMOSAIN, age=30, married=True, status="CARD_ISSUED", waited_days=100)  # A
    person(NAMOSAIN, age=25, status="PRINT_READY_RECORD", waited_days=10)  # B
    person(NAMOSAIN, age=40, married=True)  # C: wajib, never recorded
    person(NAMOSAIN, age=17, days=-30)  # D: turns 17 in 30 days
    person(NAMOSAIN, age=16, married=True, status="SENT_FOR_ENROLLMENT", waited_days=5)  # E
    person(NAMOSAIN, age=10)  # F
    person(NAMOSAIN, age=45, married=True, status="PRINT_READY_RECORD", waited_days=2,
           steps=(("BIO_CAPTURED", 5), ("PRINT_READY_RECORD", 2)))  # L
    person(OEPURA, age=50, married=True, status="CARD_PRINTED", waited_days=3,
           steps=(("BIO_CAPTURED", 10), ("PRINT_READY_RECORD", 8), ("CARD_PRINTED", 3)))  # G
    person(OEPURA, age=20, status="RECEIVED_AT_CENTRAL", waited_days=20,
           steps=(("BIO_CAPTURED", 25),))  # H
    person(OEPURA, age=17, days=-400)  # I: turns 17 in about 13 months
    person(OEPURA, age=35, married=True, status="PRINT_READY_RECORD", waited_days=30)  # K
    person(DEPOK, age=30, married=True, status="CARD_ISSUED", waited_days=50)  # J, elsewhere
    rollup_refresh()


def _scope(code=None, region=KOTA_KUPANG):
    return selectors.report_scope(user(region=region), selectors.REPORT_VIEW, code)


def test_coverage_of_the_city_counts_each_column_by_hand(register):
    table = selectors.coverage(_scope())
    total = table.total
    assert {k: total[k] for k in ("residents", "wajib", "recorded", "in_dedup", "prr",
                                  "printed", "issued", "no_card_22", "eligible_no_card",
                                  "wajib_card", "wajib_recorded")} == {
        "residents": 11, "wajib": 8, "recorded": 7, "in_dedup": 2, "prr": 3, "printed": 2,
        "issued": 1, "no_card_22": 4, "eligible_no_card": 6, "wajib_card": 2,
        "wajib_recorded": 7}
    assert total["share"] == 25.0
    assert total["pemula"] == 1  # D within 6 months; I is 13 months away


def test_coverage_drills_down_to_kecamatan_then_villages(register):
    rows = {row["code"]: row for row in selectors.coverage(_scope()).rows}
    assert set(rows) == {ALAK, MAULAFA}
    assert (rows[ALAK]["residents"], rows[ALAK]["wajib"]) == (7, 5)
    assert (rows[MAULAFA]["residents"], rows[MAULAFA]["wajib"]) == (4, 3)
    assert rows[ALAK]["name"] == "Alak"
    villages = selectors.coverage(_scope(MAULAFA)).rows
    assert [row["code"] for row in villages] == [OEPURA]
    assert selectors.coverage(_scope(MAULAFA), months=24).total["pemula"] == 1


def test_first_time_eligible_window_in_months(register):
    assert selectors.coverage(_scope(), months=2).total["pemula"] == 1
    assert selectors.coverage(_scope(), months=24).total["pemula"] == 2


def test_backlog_median_and_oldest_wait(register):
    rows = {row["status"]: row for row in selectors.backlog(_scope()).rows}
    assert rows["PRINT_READY_RECORD"]["count"] == 3
    assert rows["PRINT_READY_RECORD"]["median_days"] == 10
    assert rows["PRINT_READY_RECORD"]["oldest_days"] == 30
    assert rows["CARD_ISSUED"]["count"] == 1 and rows["CARD_ISSUED"]["median_days"] is None
    assert list(rows) == ["SENT_FOR_ENROLLMENT", "RECEIVED_AT_CENTRAL", "PRINT_READY_RECORD",
                          "CARD_PRINTED", "CARD_ISSUED"]


def test_daily_flow_and_where_the_queue_grows(register):
    flow = selectors.flow(_scope(), 30)
    assert len(flow.rows) == 30
    assert {k: flow.total[k] for k in ("recorded", "deduplicated", "printed", "issued")} == {
        "recorded": 3, "deduplicated": 2, "printed": 1, "issued": 0}
    growth = {row["code"]: row for row in selectors.queue_growth(_scope()).rows}
    assert growth[ALAK] | {"name": None} == {"code": ALAK, "name": None, "waiting": 3,
                                             "inflow": 1, "outflow": 0, "growth": 1}
    assert (growth[MAULAFA]["waiting"], growth[MAULAFA]["growth"]) == (3, 0)
    assert selectors.queue_growth(_scope()).rows[0]["code"] == ALAK  # growing first


def test_election_readiness_by_village(register):
    today = timezone.localdate()
    table = selectors.election(_scope(), today + timedelta(days=60))
    rows = {row["code"]: row for row in table.rows}
    assert rows[NAMOSAIN] | {"name": None} == {"code": NAMOSAIN, "name": None, "now": 4,
                                               "turning": 1, "voters_no_card": 5}
    assert table.total["voters_no_card"] == 7
    assert selectors.election(_scope(), today + timedelta(days=500)).total["turning"] == 2


def test_election_date_outside_the_window_is_refused(register):
    today = timezone.localdate()
    for day in (today - timedelta(days=1), today + timedelta(days=800)):
        with pytest.raises(DomainError) as error:
            selectors.election(_scope(), day)
        assert error.value.code == "election_date_range"


def test_other_city_sees_only_its_own(register):
    total = selectors.coverage(_scope(region=KOTA_DEPOK)).total
    assert (total["residents"], total["issued"]) == (1, 1)


def test_scope_refusals():
    with pytest.raises(PermissionDenied):
        selectors.report_scope(user(role="field_officer"), selectors.REPORT_VIEW)
    with pytest.raises(NotFound):
        selectors.report_scope(user(), selectors.REPORT_VIEW, KOTA_DEPOK)
    with pytest.raises(NotFound):
        selectors.report_scope(user(), selectors.REPORT_VIEW, "53.71.99")
    with pytest.raises(NotFound):  # a regional role without a region sees nothing
        selectors.report_scope(user(region=None), selectors.REPORT_VIEW)
    national = selectors.report_scope(user(role="central_admin", region=None),
                                      selectors.REPORT_VIEW)
    assert national.region is None


def test_rollup_refresh_is_idempotent(register):
    before = list(CoverageRollup.objects.order_by("village_code").values_list(
        "village_code", "residents", "wajib", "printed"))
    rollup_refresh()
    rollup_refresh(region_code=KOTA_KUPANG)
    after = list(CoverageRollup.objects.order_by("village_code").values_list(
        "village_code", "residents", "wajib", "printed"))
    assert before == after and len(after) == 3


def test_stock_and_capacity_by_office(register):
    from ektp.reports.capacity import forecast_resources, stock_and_capacity

    dinas = office("DINAS", KOTA_KUPANG, printers=("working", "working", "degraded", "broken"),
                   kits=("working", "broken"))
    stock(dinas, "blank", 1000, used_per_day=100)
    stock(dinas, "ribbon", 300, used_per_day=100)
    stock(dinas, "film", 5000)
    office("UPT-DEPOK", KOTA_DEPOK, printers=("working",))
    scope = selectors.report_scope(user(), selectors.STOCK_VIEW)
    rows = stock_and_capacity(scope).rows
    assert len(rows) == 1
    row = rows[0]
    assert (row["printers"], row["kits"], row["capacity"]) == ("3/4", "1/2", 475)
    assert (row["blank"], row["blank_cover"], row["ribbon_cover"]) == (1000, 10.0, 3.0)
    assert row["film_cover"] is None and row["real_per_day"] == 300
    assert forecast_resources(scope) == {"print_per_day": 475, "blanks": 1000,
                                         "ribbon": 300, "film": 5000}


def test_forecast_moves_when_blanks_run_out_and_a_delivery_helps(register):
    dinas = office("DINAS", KOTA_KUPANG, printers=("working",))
    stock(dinas, "blank", 2)
    stock(dinas, "ribbon", 1000)
    stock(dinas, "film", 1000)
    scope = _scope()
    inputs = forecast_inputs(scope)
    assert (inputs.to_record, inputs.to_print, inputs.in_dedup) == (1, 3, 2)
    assert inputs.print_per_day == 200 and inputs.blanks == 2
    assert inputs.record_per_day == 1  # 3 recordings in 28 days, rounded up
    blocked = forecast_view(scope)
    assert blocked.base.done_on is None and blocked.base.blocked_by == "blanks"
    target = timezone.localdate() + timedelta(days=60)
    view = forecast_view(scope, target=target)
    assert view.meets_target is False and view.blanks_for_target > 0
    helped = forecast_view(scope, WhatIf(extra_blanks=view.blanks_for_target), target)
    assert helped.meets_target is True and helped.base.done_on is None
    assert helped.chart["datasets"][1]["data"][-1] > helped.chart["datasets"][0]["data"][-1]
    assert helped.chart["labels"][-1] == target.isoformat()
    plenty = forecast_view(scope, WhatIf(extra_blanks=1000), target)
    # The blanks to request leave the scenario's own delivery out.
    assert plenty.meets_target and plenty.blanks_for_target == view.blanks_for_target


def test_no_blanks_to_request_when_the_stock_meets_the_target(register):
    dinas = office("DINAS", KOTA_KUPANG, printers=("working",))
    for item in ("blank", "ribbon", "film"):
        stock(dinas, item, 1000)
    view = forecast_view(_scope(), target=timezone.localdate() + timedelta(days=365))
    assert view.meets_target and view.blanks_for_target == 0
    assert view.base.done_on is not None


def test_the_dead_are_not_counted():
    from ektp.residents.models import Resident

    living = person(NAMOSAIN, age=30, married=True, status="CARD_ISSUED", waited_days=9)
    dead = person(NAMOSAIN, age=70, married=True, status="CARD_ISSUED", waited_days=900)
    Resident.objects.filter(pk=dead.pk).update(status=Resident.Status.DECEASED)
    rollup_refresh()
    total = selectors.coverage(_scope()).total
    assert (total["residents"], total["wajib"], total["printed"], total["issued"]) == (1, 1, 1, 1)
    assert living.pk != dead.pk
