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

SUPPLIES_VIEW = "supplies.view"
SUPPLIES_MANAGE = "supplies.manage"
PRINT_VIEW = "print.view"
PRINT_RUN = "print.run"
CARD_HANDOVER = "card.handover"
DEVICE_VIEW = "device.view"
DEVICE_MANAGE = "device.manage"
CERTIFICATE_ISSUE = "certificate.issue"
CERTIFICATE_REVOKE = "certificate.revoke"

# Field verification (fieldwork) and printing drives: who may see, visit, plan.
FIELDWORK_VIEW = "fieldwork.view"
FIELDWORK_VISIT = "fieldwork.visit"
FIELDWORK_MANAGE = "fieldwork.manage"
DRIVE_MANAGE = "drive.manage"
# The office's figures (coverage, backlog, forecast, election readiness) and their exports.
REPORT_VIEW = "report.view"

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    RECORDING_OPERATOR: frozenset(
        {RESIDENT_VIEW, ENROLLMENT_RECORD, APPLICATION_VIEW, APPLICATION_CREATE, DEVICE_VIEW,
         CERTIFICATE_ISSUE}
    ),
    PRINT_OPERATOR: frozenset(
        {RESIDENT_VIEW, APPLICATION_VIEW, PRINT_VIEW, PRINT_RUN, CARD_HANDOVER, SUPPLIES_VIEW,
         DEVICE_VIEW, DEVICE_MANAGE, CERTIFICATE_ISSUE}
    ),
    SUPERVISOR: frozenset(
        {RESIDENT_VIEW, RESIDENT_CHANGE, APPLICATION_VIEW, APPLICATION_CREATE,
         APPLICATION_ADJUDICATE, ENROLLMENT_RECORD, PRINT_VIEW, CARD_HANDOVER, SUPPLIES_VIEW,
         DEVICE_VIEW, DEVICE_MANAGE, CERTIFICATE_ISSUE, CERTIFICATE_REVOKE, FIELDWORK_VIEW,
         FIELDWORK_VISIT, FIELDWORK_MANAGE, DRIVE_MANAGE, REPORT_VIEW}
    ),
    STOCK_KEEPER: frozenset({SUPPLIES_VIEW, SUPPLIES_MANAGE, PRINT_VIEW, DEVICE_VIEW,
                             REPORT_VIEW}),
    HEAD_OF_OFFICE: frozenset(
        {RESIDENT_VIEW, APPLICATION_VIEW, PRINT_VIEW, SUPPLIES_VIEW, DEVICE_VIEW, FIELDWORK_VIEW,
         DRIVE_MANAGE, REPORT_VIEW}
    ),
    CENTRAL_ADMIN: frozenset(
        {RESIDENT_VIEW, RESIDENT_CHANGE, ENROLLMENT_RECORD, APPLICATION_VIEW,
         APPLICATION_CREATE, APPLICATION_ADJUDICATE, PRINT_VIEW, PRINT_RUN, CARD_HANDOVER,
         SUPPLIES_VIEW, SUPPLIES_MANAGE, DEVICE_VIEW, DEVICE_MANAGE, CERTIFICATE_ISSUE,
         CERTIFICATE_REVOKE, FIELDWORK_VIEW, FIELDWORK_VISIT, FIELDWORK_MANAGE, DRIVE_MANAGE,
         REPORT_VIEW}
    ),
    FIELD_OFFICER: frozenset({RESIDENT_VIEW, FIELDWORK_VIEW, FIELDWORK_VISIT}),
}


def role_allows(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())
