"""Offices, users and deliveries for the supplies tests, and a snapshot of every stock table so
a refusal can be shown to have written nothing."""

from contextlib import contextmanager

import pytest
from django.conf import settings

from ektp.accounts.models import User
from ektp.devices.services import office_create
from ektp.supplies import services
from ektp.supplies.models import (
    BlankCard,
    Destruction,
    InvalidCard,
    StockBalance,
    StockMovement,
    StockRequest,
)

KOTA_KUPANG = "53.71"
NAMOSAIN = "53.71.01.1001"  # kelurahan Namosain, kecamatan Alak, Kota Kupang
OEPURA = "53.71.02.1001"  # kelurahan Oepura, kecamatan Maulafa, Kota Kupang
KOTA_DEPOK = "32.76"
RIBBON_YIELD = settings.EKTP_RIBBON_YIELD
FILM_YIELD = settings.EKTP_FILM_YIELD


def make_office(code: str, region_code: str = KOTA_KUPANG, kind: str = "dinas"):
    return office_create(actor=None, code=code, name=f"Kantor {code}", kind=kind,
                         region_code=region_code, prints_cards=True)


def make_user(role: str, region_id: str | None = KOTA_KUPANG, username: str | None = None):
    user = User(username=username or f"{role}-{region_id}", role=role, region_id=region_id)
    user.set_unusable_password()
    user.save()
    return user


def receive_blanks(office, quantity: int, *, first: int = 1, prefix: str = "KTP25-",
                   earmark: str = "general", **extra):
    return services.allocation_receive(
        actor=None, office_id=office.pk, item="blank", quantity=quantity,
        handover_ref=f"BA-{prefix}{first}", earmark=earmark, serial_prefix=prefix,
        first_serial=first, **extra)


def receive_rolls(office, *, ribbons: int = 1, films: int = 1):
    for item, rolls in (("ribbon", ribbons), ("film", films)):
        if rolls:
            services.allocation_receive(actor=None, office_id=office.pk, item=item,
                                        quantity=rolls, handover_ref=f"BA-{item}")


def snapshot() -> dict:
    """Every row a supplies service can write, in a comparable form."""
    return {
        "ledger": list(StockMovement.objects.order_by("id").values_list(
            "id", "office_id", "item", "earmark", "kind", "quantity")),
        "balances": sorted(StockBalance.objects.values_list(
            "office_id", "item", "earmark", "quantity")),
        "blanks": sorted(BlankCard.objects.values_list("serial", "office_id", "status")),
        "requests": sorted(StockRequest.objects.values_list("id", "received_quantity")),
        "invalid": sorted(InvalidCard.objects.values_list("serial", "destruction_id")),
        "destructions": sorted(Destruction.objects.values_list("ba_number", flat=True)),
    }


@contextmanager
def raises_code(exc_type, code: str):
    """pytest.raises for a DomainError subclass that also checks its stable code."""
    with pytest.raises(exc_type) as info:
        yield info
    assert info.value.code == code, info.value.message


@contextmanager
def refused(exc_type, code: str):
    """The call is refused with ``code`` and nothing is written."""
    before = snapshot()
    with raises_code(exc_type, code) as info:
        yield info
    assert snapshot() == before
