"""Which role may do what. Pure data, no Django: the scoping layer reads it."""

RECORDING_OPERATOR = "recording_operator"
PRINT_OPERATOR = "print_operator"
SUPERVISOR = "supervisor"
STOCK_KEEPER = "stock_keeper"
HEAD_OF_OFFICE = "head_of_office"
CENTRAL_ADMIN = "central_admin"
FIELD_OFFICER = "field_officer"

RESIDENT_VIEW = "resident.view"
RESIDENT_CHANGE = "resident.change"
ENROLLMENT_RECORD = "enrollment.record"
APPLICATION_VIEW = "application.view"
APPLICATION_CREATE = "application.create"
APPLICATION_ADJUDICATE = "application.adjudicate"

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    RECORDING_OPERATOR: frozenset(
        {RESIDENT_VIEW, ENROLLMENT_RECORD, APPLICATION_VIEW, APPLICATION_CREATE}
    ),
    PRINT_OPERATOR: frozenset({RESIDENT_VIEW, APPLICATION_VIEW}),
    SUPERVISOR: frozenset(
        {RESIDENT_VIEW, RESIDENT_CHANGE, APPLICATION_VIEW, APPLICATION_CREATE,
         APPLICATION_ADJUDICATE, ENROLLMENT_RECORD}
    ),
    STOCK_KEEPER: frozenset(),
    HEAD_OF_OFFICE: frozenset({RESIDENT_VIEW, APPLICATION_VIEW}),
    CENTRAL_ADMIN: frozenset(
        {RESIDENT_VIEW, RESIDENT_CHANGE, ENROLLMENT_RECORD, APPLICATION_VIEW,
         APPLICATION_CREATE, APPLICATION_ADJUDICATE}
    ),
    FIELD_OFFICER: frozenset({RESIDENT_VIEW}),
}


def role_allows(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())
