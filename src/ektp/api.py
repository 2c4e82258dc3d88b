"""The REST API root: routers of each app, authentication, and the error shape
``{"detail": ..., "code": ...}`` shared by every refusal."""

from django.contrib.auth import authenticate
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBasicAuth, django_auth

from ektp.errors import DomainError


class OperatorBasicAuth(HttpBasicAuth):
    """For scripts and station clients; browsers use the session (with CSRF)."""

    def authenticate(self, request, username, password):
        user = authenticate(request, username=username, password=password)
        if user is not None and user.is_active:
            request.user = user
            return user
        return None


api = NinjaAPI(
    title="ektp API",
    version="1",
    description="Register, perekaman, penunggalan and permohonan KTP-el.",
    # Basic first: a script's POST carries no session cookie, and Ninja's session check would
    # refuse it for want of a CSRF token before the Basic credentials were looked at. Browsers
    # send no Authorization header, so they still go through the session and its CSRF check.
    auth=[OperatorBasicAuth(), django_auth],
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    body = {"detail": exc.message, "code": exc.code}
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    return api.create_response(
        request, {"detail": exc.errors, "code": "validation_error"}, status=422
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return api.create_response(
        request, {"detail": "Authentication required", "code": "unauthenticated"}, status=401
    )


def register_routers() -> None:
    from ektp.dedup.api import router as dedup_router
    from ektp.devices.api import router as devices_router
    from ektp.enrollment.api import router as enrollment_router
    from ektp.issuance.api import router as issuance_router
    from ektp.issuance.suket_api import router as certificates_router
    from ektp.printing.api import router as printing_router
    from ektp.regions.api import router as regions_router
    from ektp.reports.api import router as reports_router
    from ektp.residents.api import router as residents_router
    from ektp.stations.api import router as stations_router
    from ektp.supplies.api import router as supplies_router

    api.add_router("/regions", regions_router)
    api.add_router("/reports", reports_router)
    api.add_router("/residents", residents_router)
    api.add_router("/enrollments", enrollment_router)
    api.add_router("/applications", issuance_router)
    api.add_router("/adjudication", dedup_router)
    api.add_router("/print", printing_router)
    api.add_router("/devices", devices_router)
    api.add_router("/certificates", certificates_router)
    api.add_router("/supplies", supplies_router)
    api.add_router("/stations", stations_router)
    from ektp.fieldwork.api import router as fieldwork_router
    from ektp.printing.drive_api import router as drives_router

    api.add_router("/fieldwork", fieldwork_router)
    api.add_router("/drives", drives_router)


register_routers()
