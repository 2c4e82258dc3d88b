"""The demo's operators: an administrator and one account per role, in Kota Kupang."""

import os

from django.conf import settings

from ektp.accounts.models import Role, User

DEMO_PASSWORD_ENV = "EKTP_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "ektp-demo-2025"

DEMO_OPERATORS = [
    ("perekam.alak", Role.RECORDING_OPERATOR, "53.71.01"),
    ("pencetak.kupang", Role.PRINT_OPERATOR, "53.71"),
    ("supervisor.kupang", Role.SUPERVISOR, "53.71"),
    ("blangko.kupang", Role.STOCK_KEEPER, "53.71"),
    ("kadis.kupang", Role.HEAD_OF_OFFICE, "53.71"),
    ("lapangan.alak", Role.FIELD_OFFICER, "53.71.01"),
]


def demo_password() -> str:
    password = os.environ.get(DEMO_PASSWORD_ENV, "")
    if not password and not settings.DEBUG:
        raise RuntimeError(f"Set {DEMO_PASSWORD_ENV} to build the demo outside debug mode")
    return password or DEFAULT_DEMO_PASSWORD


def ensure_demo_users() -> tuple[User, str]:
    """Create (or reset the password of) the admin and demo operators; return the admin."""
    password = demo_password()
    admin, _ = User.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True,
                                    "role": Role.CENTRAL_ADMIN})
    admin.set_password(password)
    admin.save()
    for username, role, region in DEMO_OPERATORS:
        user, _ = User.objects.get_or_create(username=username,
                                             defaults={"role": role, "region_id": region})
        user.set_password(password)
        user.save()
    return admin, password
