"""The adjudication pages: the permission matrix, the queue (paginated, pinned queries), the
two records side by side with scores and differences, the images behind a scoped audited
view, and the decision with its reason (bad input and refusals write nothing)."""

from types import SimpleNamespace

import numpy as np
import pytest
from django.urls import reverse

from ektp.accounts import rules as roles
from ektp.audit.models import AuditEvent
from ektp.dedup.services import dedup_application
from ektp.enrollment.tests import biometrics
from ektp.enrollment.tests.factories import (
    ALAK,
    KOTA_DEPOK,
    KOTA_KUPANG,
    PersonFactory,
    application_of,
    move,
    record,
    snapshot,
    user,
)
from ektp.issuance import rules as issuance_rules

pytestmark = pytest.mark.django_db
QUEUE = reverse("adjudication_queue")
WHO = {
    "none": ("", KOTA_KUPANG),
    "recording operator": (roles.RECORDING_OPERATOR, ALAK),
    "supervisor, Depok": (roles.SUPERVISOR, KOTA_DEPOK),
    "supervisor, Kupang": (roles.SUPERVISOR, KOTA_KUPANG),
}


def doubtful(rng, name="AGUSTINA NDOEN"):
    """A recording whose face matches an earlier person's, with other fingers: penunggalan
    sends it to adjudication with that person as its candidate."""
    first = biometrics.new_identity(rng)
    earlier = PersonFactory(name="AGUSTINA NDOEN LAIN", birth_place="SOE")
    assert dedup_application(application_id=application_of(
        record(earlier, biometrics.capture(first, rng))).pk) == issuance_rules.S_PRR
    twin = biometrics.lookalike(first, rng)
    application = application_of(record(PersonFactory(name=name), biometrics.capture(twin, rng)))
    assert dedup_application(application_id=application.pk) == issuance_rules.S_ADJ
    application.refresh_from_db()
    return application


@pytest.fixture
def waiting():
    return doubtful(np.random.default_rng(2026))


def _login(client, who):
    if who != "anonymous":
        client.force_login(user(*WHO[who]))


def _detail(a):
    return reverse("adjudication_detail", args=[a.pk])


def _decide(a):
    return reverse("adjudication_decide", args=[a.pk])


def _photo(a):
    return reverse("adjudication_image", args=[a.pk, a.enrollment_id, "photo"])


REQUESTS = [("get", lambda a: QUEUE), ("get", _detail), ("post", _decide), ("get", _photo)]
DECISION = {"decision": "duplicate", "reason": "wajah dan tanda tangan sama"}


@pytest.mark.parametrize("method, url", REQUESTS)
def test_anonymous_is_sent_to_login(client, waiting, method, url):
    before = snapshot()
    response = getattr(client, method)(url(waiting), DECISION if method == "post" else {})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert snapshot() == before


@pytest.mark.parametrize("who", ["none", "recording operator"])
@pytest.mark.parametrize("method, url", REQUESTS)
def test_a_role_without_adjudicate_gets_403(client, waiting, who, method, url):
    _login(client, who)
    before = snapshot()
    assert getattr(client, method)(url(waiting), DECISION if method == "post" else {}
                                   ).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("method, url", REQUESTS[1:])
def test_another_region_gets_404_and_changes_nothing(client, waiting, method, url):
    _login(client, "supervisor, Depok")
    before = snapshot()
    assert getattr(client, method)(url(waiting), DECISION if method == "post" else {}
                                   ).status_code == 404
    assert snapshot() == before
    assert client.get(QUEUE).context["page"].paginator.count == 0


def test_the_right_region_sees_the_queue_and_the_screen(client, waiting):
    _login(client, "supervisor, Kupang")
    queue = client.get(QUEUE)
    assert queue.status_code == 200 and queue.context["page"].paginator.count == 1
    assert waiting.resident.nik not in queue.content.decode()
    screen = client.get(_detail(waiting))
    assert screen.status_code == 200 and "no-store" in screen["Cache-Control"]
    html = screen.content.decode()
    assert "<style" not in html and " style=" not in html and "<script>" not in html


def test_the_screen_sets_the_records_side_by_side(client, waiting):
    _login(client, "supervisor, Kupang")
    page = client.get(_detail(waiting))
    html = page.content.decode()
    (side,) = page.context["sides"]
    candidate = side["candidate"]
    assert candidate.face_distance is not None and candidate.face_distance <= 0.5
    assert f"{candidate.face_distance:.3f}".replace(".", ",") in html  # Indonesian decimals
    differs = {row["label"]: row["differs"] for row in side["rows"]}
    assert differs["Nama"] and differs["Tempat lahir"]
    assert 'class="differs"' in html
    other = candidate.matched_enrollment_id
    assert reverse("adjudication_image", args=[waiting.pk, other, "photo"]) in html
    # Opening the screen read two whole records: both audited.
    assert {e.nik for e in AuditEvent.objects.filter(action="read")} == {
        waiting.resident.nik, candidate.matched_enrollment.resident.nik}


def test_images_are_decrypted_scoped_audited_and_never_cached(client, waiting):
    _login(client, "supervisor, Kupang")
    response = client.get(_photo(waiting))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG") and "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="read")
    assert event.nik == waiting.resident.nik and event.purpose.endswith("photo")
    other = PersonFactory()
    stranger = record(other)  # a recording that is not among this application's candidates
    url = reverse("adjudication_image", args=[waiting.pk, stranger.pk, "photo"])
    assert client.get(url).status_code == 404
    bad_kind = reverse("adjudication_image", args=[waiting.pk, waiting.enrollment_id, "nik"])
    assert client.get(bad_kind).status_code == 404
    assert AuditEvent.objects.filter(action="read").count() == 1


@pytest.mark.parametrize("decision, status", [("duplicate", issuance_rules.S_DUP),
                                              ("single", issuance_rules.S_PRR)])
def test_a_decision_with_a_reason_moves_the_application(client, waiting, decision, status):
    _login(client, "supervisor, Kupang")
    response = client.post(_decide(waiting), {"decision": decision, "reason": "cek wajah"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    waiting.refresh_from_db()
    assert waiting.status == status
    assert waiting.history.latest("at").reason == "adjudikasi: cek wajah"
    assert client.get(_detail(waiting)).status_code == 404  # no longer waiting


@pytest.mark.parametrize("data, message", [
    ({"decision": "duplicate", "reason": "  "}, "Tuliskan alasan"),
    ({"reason": "cek"}, "Pilih keputusan"),
    ({"decision": "maybe", "reason": "cek"}, "maybe"),
    ({"decision": "single", "reason": "x" * 501}, "paling banyak 500"),
])
def test_bad_input_is_refused_and_changes_nothing(client, waiting, data, message):
    _login(client, "supervisor, Kupang")
    before = snapshot()
    response = client.post(_decide(waiting), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert snapshot() == before


def test_a_second_decision_is_refused_and_changes_nothing(client, waiting):
    _login(client, "supervisor, Kupang")
    client.post(_decide(waiting), {"decision": "single", "reason": "beda orang"})
    before = snapshot()
    again = client.post(_decide(waiting), DECISION, follow=True)
    assert "sudah diputuskan oleh petugas lain" in again.content.decode()
    assert snapshot() == before
    waiting.refresh_from_db()
    assert waiting.status == issuance_rules.S_PRR


def test_a_missing_application_is_404(client, waiting):
    _login(client, "supervisor, Kupang")
    gone = SimpleNamespace(pk=waiting.pk + 999, enrollment_id=waiting.enrollment_id)
    assert client.get(_detail(gone)).status_code == 404
    assert client.post(_decide(gone), DECISION).status_code == 404


def test_queue_paginates_and_its_queries_are_pinned(client, django_assert_num_queries):
    for _ in range(22):
        person = PersonFactory()
        move(application_of(record(person)), issuance_rules.S_ADJ)
    _login(client, "supervisor, Kupang")
    with django_assert_num_queries(5):  # session, user, region (top bar), count, page
        first = client.get(QUEUE)
    assert len(first.context["page"].object_list) == 20
    assert 'href="?page=2"' in first.content.decode()
    second = client.get(QUEUE, {"page": 2})
    assert len(second.context["page"].object_list) == 2


@pytest.mark.parametrize("rows", [2, 12])
def test_queue_queries_do_not_grow_with_rows(client, django_assert_num_queries, rows):
    for _ in range(rows):
        move(application_of(record(PersonFactory())), issuance_rules.S_ADJ)
    _login(client, "supervisor, Kupang")
    with django_assert_num_queries(5):
        assert client.get(QUEUE).status_code == 200
