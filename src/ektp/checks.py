"""Startup checks: ``ektp serve`` and ``ektp check --deploy`` refuse an unsafe configuration."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from ektp.settings import DEV_SECRET_KEY


@register()
def configuration(app_configs, **kwargs):
    problems = []
    if not settings.DEBUG and settings.SECRET_KEY == DEV_SECRET_KEY:
        problems.append(Error(
            "EKTP_SECRET_KEY is the development key while EKTP_DEBUG is off.",
            hint="Set EKTP_SECRET_KEY to a long random value.", id="ektp.E001"))
    if settings.EKTP_ROLE not in {"central", "station"}:
        problems.append(Error(
            f"EKTP_ROLE must be 'central' or 'station', not {settings.EKTP_ROLE!r}.",
            id="ektp.E002"))
    if settings.EKTP_FACE_MATCH_DISTANCE > settings.EKTP_FACE_REVIEW_DISTANCE:
        problems.append(Error(
            "EKTP_FACE_MATCH_DISTANCE must not exceed EKTP_FACE_REVIEW_DISTANCE.", id="ektp.E003"))
    if settings.EKTP_FINGER_MATCH_SCORE < settings.EKTP_FINGER_REVIEW_SCORE:
        problems.append(Error(
            "EKTP_FINGER_MATCH_SCORE must not be below EKTP_FINGER_REVIEW_SCORE.", id="ektp.E004"))
    if not settings.DEBUG and not settings.EKTP_BIOMETRIC_KEY:
        problems.append(Warning(
            "EKTP_BIOMETRIC_KEY is not set: templates are sealed with a key file in "
            f"{settings.DATA_DIR}; losing that file makes them unreadable.", id="ektp.W001"))
    return problems
