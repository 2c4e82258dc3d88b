"""Test data for perekaman, penunggalan and applications.

Users, families and residents come from the residents app's factories (real region codes);
this module adds recordings made through the real ``enrollment_record`` service with synthetic
biometrics (see ``biometrics.py``), and the row counts that show a refusal wrote nothing.
"""

from datetime import date, timedelta

import factory
import numpy as np
from django.utils import timezone

from ektp.audit.models import AuditEvent
from ektp.dedup.models import DedupCandidate
from ektp.enrollment.models import BiometricTemplate, Enrollment
from ektp.enrollment.services import Capture, enrollment_record
from ektp.enrollment.tests import biometrics
from ektp.issuance import rules
from ektp.issuance.models import Application, ApplicationHistory
from ektp.issuance.services import application_transition
from ektp.residents.tests.factories import (  # noqa: F401  (re-exported for the tests)
    DEPOK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    NAMOSAIN,
    OEPURA,
    FamilyFactory,
    ResidentFactory,
    UserFactory,
)

ALAK = "53.71.01"  # kecamatan Alak, Kota Kupang
# Default identities for captures nobody asked to control; tests pass their own samples.
_RNG = np.random.default_rng(5371)


def _letters(n: int) -> str:
    """n spelled in letters (AAAA, AAAB, ...): names hold no digits."""
    return "".join(chr(65 + n // 26**i % 26) for i in reversed(range(4)))


class PersonFactory(ResidentFactory):
    """A resident whose name and birth date differ from every other one made here, so no
    two of them look like the same person to the demographic check by accident."""

    name = factory.Sequence(lambda n: f"YOHANES NDOEN {_letters(n)}")
    birth_date = factory.Sequence(lambda n: date(1970, 1, 1) + timedelta(days=n % 9000))


def user(role: str, region_id: str | None = KOTA_KUPANG, **fields):
    """An operator; no password (tests log in with ``force_login``, so no slow hashing)."""
    return UserFactory(role=role, region_id=region_id, password=None, **fields)


class CaptureFactory(factory.Factory):
    """What a station sends: a confirmed biodata, a photo, a signature and the templates of
    ``sample`` (a fresh synthetic person unless given)."""

    class Meta:
        model = Capture

    class Params:
        sample = factory.LazyFunction(
            lambda: biometrics.capture(biometrics.new_identity(_RNG), _RNG))

    resident_id = None
    station_code = "KPG-ALAK-01"
    sequence = factory.Sequence(lambda n: n + 1)
    # Later captures are later in time, so the queue order (oldest first) is creation order.
    captured_at = factory.Sequence(
        lambda n: timezone.now() - timedelta(days=1) + timedelta(seconds=n))
    biodata_confirmed = True
    photo = factory.LazyFunction(biometrics.png)
    signature = factory.LazyFunction(biometrics.signature_png)
    fingerprints = factory.LazyAttribute(lambda o: o.sample.fingerprints())
    face_template = factory.LazyAttribute(lambda o: o.sample.face)


def record(resident, sample=None, *, actor=None, enqueue_dedup: bool = False, **fields):
    """Record a perekaman for ``resident`` through the service; its application waits at
    RECEIVED_AT_CENTRAL (penunggalan is not queued unless asked)."""
    if sample is not None:
        fields["sample"] = sample
    capture = CaptureFactory(resident_id=resident.pk, **fields)
    return enrollment_record(actor=actor, capture=capture, enqueue_dedup=enqueue_dedup)


def application_of(enrollment) -> Application:
    return enrollment.applications.get()


def move(application, *statuses: str, actor=None) -> Application:
    """Walk an application through ``statuses`` with the real transition service."""
    for status in statuses:
        application = application_transition(
            actor=actor, application_id=application.pk, to_status=status, reason="uji")
    return application


CARD_ISSUED_PATH = (rules.S_SFP, rules.S_PRINTED, rules.S_ISSUED)


def row_counts() -> dict[str, int]:
    """Rows in every table a recording, an application or a decision can touch."""
    models = (Enrollment, BiometricTemplate, Application, ApplicationHistory, DedupCandidate,
              AuditEvent)
    return {model.__name__: model.objects.count() for model in models}


def snapshot() -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Row counts plus every application's status: equal before and after a refusal."""
    statuses = list(Application.objects.order_by("pk").values_list("pk", "status"))
    return row_counts(), statuses
