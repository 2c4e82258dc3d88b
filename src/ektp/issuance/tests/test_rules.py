"""The application state machine (pure): every allowed transition, every illegal one, and the
invariants that matter most (a duplicate is never printed)."""

import itertools

import pytest

from ektp.issuance import rules
from ektp.issuance.choices import Status

ALLOWED = sorted((current, target) for current, targets in rules.ALLOWED_TRANSITIONS.items()
                 for target in targets)
ILLEGAL = sorted(set(itertools.product(rules.ALLOWED_TRANSITIONS, repeat=2)) - set(ALLOWED))


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in rules.ALLOWED_TRANSITIONS[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_table_covers_every_status_and_only_those():
    assert set(rules.ALLOWED_TRANSITIONS) == set(Status.values)
    assert all(targets <= set(Status.values) for targets in rules.ALLOWED_TRANSITIONS.values())


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed(current, target):
    assert rules.can_transition(current, target)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal(current, target):
    assert not rules.can_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [
    (rules.S_DUP, rules.S_SFP),
    (rules.S_DUP, rules.S_PRR),
    (rules.S_ADJ, rules.S_SFP),
    (rules.S_RAC, rules.S_SFP),
    (rules.S_BIO, rules.S_RAC),
    (rules.S_EFC, rules.S_PRR),
    (rules.S_ISSUED, rules.S_CANCELLED),
    (rules.S_CANCELLED, rules.S_BIO),
    ("NOT_A_STATUS", rules.S_PRR),
    (rules.S_PRR, "NOT_A_STATUS"),
])
def test_a_sample_of_illegal_transitions(current, target):
    assert not rules.can_transition(current, target)


def test_a_duplicate_can_never_reach_printing():
    assert reachable(rules.S_DUP) == {rules.S_CANCELLED}
    assert not {rules.S_SFP, rules.S_PRINTED, rules.S_ISSUED} & reachable(rules.S_DUP)


def test_printing_is_only_reached_through_print_ready():
    into_printing = {current for current, target in ALLOWED if target == rules.S_SFP}
    assert into_printing == {rules.S_PRR}


def test_a_recording_reaches_print_ready_only_through_penunggalan():
    into_prr = {current for current, target in ALLOWED if target == rules.S_PRR}
    assert into_prr == {rules.S_RAC, rules.S_ADJ, rules.S_SFP}  # SFP: a spoiled card


@pytest.mark.parametrize("status", [rules.S_ISSUED, rules.S_CANCELLED])
def test_terminal_statuses_have_no_exit(status):
    assert rules.ALLOWED_TRANSITIONS[status] == frozenset()


def test_open_statuses_exclude_the_finished_ones():
    assert rules.OPEN_STATUSES.isdisjoint({rules.S_ISSUED, rules.S_CANCELLED, rules.S_DUP})
    assert {rules.S_BIO, rules.S_RAC, rules.S_ADJ, rules.S_PRR} <= rules.OPEN_STATUSES


def test_reserved_transitions_are_penunggalan_and_adjudication_outcomes():
    assert rules.RESERVED_TRANSITIONS <= set(ALLOWED)
    assert {target for current, target in rules.RESERVED_TRANSITIONS
            if current == rules.S_RAC} == rules.DEDUP_OUTCOMES
    assert rules.is_reserved(rules.S_ADJ, rules.S_PRR)
    assert not rules.is_reserved(rules.S_PRR, rules.S_SFP)
    assert not rules.is_reserved(rules.S_DUP, rules.S_CANCELLED)


@pytest.mark.parametrize(("kind", "police", "document", "missing"), [
    ("lost", "", "", "police_letter_required"),
    ("lost", "   ", "KK", "police_letter_required"),
    ("lost", "LP/123/IV/2025/POLRESTA", "", None),
    ("damaged", "", "", None),
    ("data_change", "", "", "document_required"),
    ("data_change", "", "AKTA-NIKAH-9", None),
    ("move", "", " ", "document_required"),
    ("move", "", "SKPWNI-5371-2025-1", None),
])
def test_papers_each_replacement_needs(kind, police, document, missing):
    assert rules.requirements_missing(kind, police_letter_ref=police,
                                      document_ref=document) == missing
