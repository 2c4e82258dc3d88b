"""The application state machine (DESIGN.md §3). Pure: no Django."""

S_BIO = "BIO_CAPTURED"
S_SFE = "SENT_FOR_ENROLLMENT"
S_RAC = "RECEIVED_AT_CENTRAL"
S_PRR = "PRINT_READY_RECORD"
S_DUP = "DUPLICATE_RECORD"
S_ADJ = "ADJUDICATE_RECORD"
S_EFC = "ENROLL_FAILURE_AT_CENTRAL"
S_SFP = "SENT_FOR_CARD_PRINTING"
S_PRINTED = "CARD_PRINTED"
S_SHIPPED = "CARD_SHIPPED"
S_ISSUED = "CARD_ISSUED"
S_CANCELLED = "CANCELLED"

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S_BIO: frozenset({S_SFE, S_CANCELLED}),
    # CANCELLED from any status before the hand-over: the applicant died (or withdrew); a
    # dead person's card must never be printed or handed over.
    S_SFE: frozenset({S_RAC, S_CANCELLED}),
    S_RAC: frozenset({S_PRR, S_DUP, S_ADJ, S_EFC, S_CANCELLED}),
    # An adjudicator confirms the duplicate or clears the record as single.
    S_ADJ: frozenset({S_PRR, S_DUP, S_CANCELLED}),
    # Efac: the central record is deleted and the recording resent or re-captured.
    S_EFC: frozenset({S_BIO, S_CANCELLED}),
    # A duplicate recording is deleted centrally; the application ends there.
    S_DUP: frozenset({S_CANCELLED}),
    # The one printable status. A print job that spoils the card puts the record back to PRR.
    S_PRR: frozenset({S_SFP, S_CANCELLED}),
    S_SFP: frozenset({S_PRINTED, S_PRR}),
    S_PRINTED: frozenset({S_SHIPPED, S_ISSUED, S_CANCELLED}),
    S_SHIPPED: frozenset({S_ISSUED, S_CANCELLED}),
    S_ISSUED: frozenset(),
    S_CANCELLED: frozenset(),
}

# Statuses in which an application still counts as open for its resident.
OPEN_STATUSES = frozenset(ALLOWED_TRANSITIONS) - {S_ISSUED, S_CANCELLED, S_DUP}
# Outcomes of the penunggalan step.
DEDUP_OUTCOMES = frozenset({S_PRR, S_DUP, S_ADJ, S_EFC})

REPLACEMENT_KINDS = frozenset({"lost", "damaged", "data_change", "move"})

# Transitions only the system makes: penunggalan decides a received recording, and an
# adjudicator's decision goes through adjudication (which records the duplicate kind). A person
# moving an application by hand must never skip the search, or a duplicate could be printed.
RESERVED_TRANSITIONS = frozenset(
    {(S_RAC, outcome) for outcome in DEDUP_OUTCOMES} | {(S_ADJ, S_PRR), (S_ADJ, S_DUP)}
)


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def is_reserved(current: str, target: str) -> bool:
    """Whether only penunggalan or adjudication may make this (allowed) transition."""
    return (current, target) in RESERVED_TRANSITIONS


def requirements_missing(kind: str, *, police_letter_ref: str, document_ref: str) -> str | None:
    """The error code of the first paper an application kind lacks, or None (Perpres 96/2018)."""
    if kind == "lost" and not police_letter_ref.strip():
        return "police_letter_required"
    if kind in {"data_change", "move"} and not document_ref.strip():
        return "document_required"
    return None
