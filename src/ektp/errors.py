"""Domain errors: every refusal has a stable machine-readable code.

Services raise these; the API maps them to ``{"detail", "code"}`` with the given HTTP status,
the CLI prints them. A raised error means the transaction was rolled back: nothing written.
"""


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
