"""Values every page's top bar shows."""

from django.conf import settings


def office(request) -> dict:
    # The site code names this office or station (the same code written into every history row).
    return {"site_code": settings.EKTP_SITE_CODE}
