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
# A degraded device still does its job, only slower (a faulty printer about 75 cards a day):
# it counts as in service, for printing and for recording alike.
IN_SERVICE_STATUSES = frozenset({WORKING, DEGRADED})
PRINTING_STATUSES = IN_SERVICE_STATUSES
# A retired device has left the office's fleet; every other one is still counted.
FLEET_STATUSES = frozenset(ALLOWED_TRANSITIONS) - {RETIRED}

MAX_TEXT = 300  # description and repair note, as stored


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def cards_per_day(statuses: list[str], *, per_working: int, per_degraded: int) -> int:
    """What the printers can really print in a day (a healthy one about 200, a faulty one 75)."""
    return sum(per_working if s == WORKING else per_degraded if s == DEGRADED else 0
               for s in statuses)


def capacity(working: int, degraded: int, *, per_working: int, per_degraded: int) -> int:
    """The same figure from counts (what an aggregate query gives)."""
    return working * per_working + degraded * per_degraded
