"""Device states and capacity. Pure: no Django."""

WORKING, DEGRADED, BROKEN, IN_REPAIR, RETIRED = (
    "working", "degraded", "broken", "in_repair", "retired")

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    WORKING: frozenset({DEGRADED, BROKEN, RETIRED}),
    DEGRADED: frozenset({BROKEN, IN_REPAIR, WORKING, RETIRED}),
    BROKEN: frozenset({IN_REPAIR, WORKING, RETIRED}),
    IN_REPAIR: frozenset({WORKING, BROKEN, RETIRED}),
    RETIRED: frozenset(),
}
PRINTING_STATUSES = frozenset({WORKING, DEGRADED})


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def cards_per_day(statuses: list[str], *, per_working: int, per_degraded: int) -> int:
    """What the printers can really print in a day (a healthy one about 200, a faulty one 75)."""
    return sum(per_working if s == WORKING else per_degraded if s == DEGRADED else 0
               for s in statuses)
