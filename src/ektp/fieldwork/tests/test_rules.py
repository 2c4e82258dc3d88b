"""The pure rules of field verification: outcomes and their order, what each needs, and the
first-time eligible birth window."""

from datetime import date, timedelta

import pytest

from ektp.fieldwork import rules
from ektp.fieldwork.rules import FieldworkRuleError, VisitReport
from ektp.residents.rules import age_on

TODAY = date(2026, 11, 25)


def _code(call) -> str:
    with pytest.raises(FieldworkRuleError) as info:
        call()
    return info.value.code


def test_unvisited_absent_and_invited_entries_take_any_outcome_but_moves_and_deaths_close():
    for start in (rules.UNVISITED, rules.UNKNOWN, rules.PRESENT):
        assert all(rules.can_transition(start, o) for o in rules.OUTCOMES)
    for final in (rules.MOVED, rules.DIED):
        assert not any(rules.can_transition(final, o) for o in rules.OUTCOMES)


@pytest.mark.parametrize("report, code", [
    (VisitReport("gone", TODAY), "outcome_unknown"),
    (VisitReport(rules.UNKNOWN, date(2026, 11, 26)), "visit_date_future"),
    (VisitReport(rules.PRESENT, TODAY), "invite_date_required"),
    (VisitReport(rules.PRESENT, TODAY, invited_for=date(2026, 11, 24)), "invite_date_past"),
    (VisitReport(rules.PRESENT, TODAY, invited_for=date(2027, 3, 1)), "invite_date_far"),
    (VisitReport(rules.MOVED, TODAY, to_village_code="53.71.02.1001"), "document_required"),
    (VisitReport(rules.MOVED, TODAY, document_ref="SKPWNI/1"), "destination_required"),
    (VisitReport(rules.DIED, TODAY, document_ref="  "), "document_required"),
    (VisitReport(rules.DIED, TODAY, document_ref="AKTA/1"), "died_on_required"),
    (VisitReport(rules.DIED, TODAY, document_ref="AKTA/1", died_on=date(2026, 12, 1)),
     "died_on_future"),
])
def test_a_report_missing_what_its_outcome_needs_is_refused_with_a_stable_code(report, code):
    assert _code(lambda: rules.check_visit(report, TODAY)) == code


@pytest.mark.parametrize("report", [
    VisitReport(rules.UNKNOWN, TODAY),
    VisitReport(rules.PRESENT, date(2026, 11, 20), invited_for=TODAY),
    VisitReport(rules.MOVED, TODAY, document_ref="SKPWNI/1", to_village_code="53.71.02.1001"),
    VisitReport(rules.DIED, TODAY, document_ref="AKTA/1", died_on=date(2026, 10, 1)),
])
def test_complete_reports_pass(report):
    assert rules.check_visit(report, TODAY) is report


@pytest.mark.parametrize("value", ["", "short", "a" * 65, "has space-in-it", "ünïcode-id-1"])
def test_client_ids_are_8_to_64_safe_characters(value):
    assert _code(lambda: rules.check_client_id(value)) == "client_id_invalid"


def test_a_uuid_is_a_client_id():
    assert rules.check_client_id(" 0b5c1f7e-3c1a-4f7d-9d2b-6a1e2f3c4d5e ") == (
        "0b5c1f7e-3c1a-4f7d-9d2b-6a1e2f3c4d5e")


@pytest.mark.parametrize("source, months, code", [
    ("everyone", None, "source_unknown"), (rules.FIRST_TIME, None, "months_invalid"),
    (rules.FIRST_TIME, 0, "months_invalid"), (rules.FIRST_TIME, 25, "months_invalid"),
    (rules.FIRST_TIME, True, "months_invalid"),
])
def test_bad_sources_are_refused(source, months, code):
    assert _code(lambda: rules.check_source(source, months)) == code


def test_the_not_recorded_source_ignores_months():
    assert rules.check_source(rules.NOT_RECORDED, 6) is None
    assert rules.check_source(rules.FIRST_TIME, 6) == 6


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month():
    assert rules.add_months(date(2026, 11, 25), 3) == date(2027, 2, 25)
    assert rules.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert rules.add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)


def test_the_first_time_window_holds_exactly_those_turning_17_in_the_months_ahead():
    after, until = rules.first_time_window(TODAY, 3)
    end = rules.add_months(TODAY, 3)
    assert age_on(after, TODAY) == 17  # 17 today: wajib KTP already, outside the window
    for born in (after + timedelta(days=1), until):
        assert age_on(born, TODAY) == 16 and age_on(born, end) == 17
    assert age_on(until + timedelta(days=1), end) == 16  # turns 17 after the window


def test_someone_born_on_29_february_turns_17_on_1_march():
    after, until = rules.first_time_window(date(2026, 2, 28), 1)
    assert after < date(2009, 3, 1) <= until
    assert rules.seventeen_cutoff(date(2028, 2, 29)) == date(2011, 2, 28)


def test_share_is_a_percentage_or_none():
    assert rules.share(1, 3) == 33.3
    assert rules.share(0, 0) is None
