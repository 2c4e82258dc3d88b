"""The print point's pages: the permission matrix, the queue with stock and printers (paginated,
pinned queries), print / printed / spoiled, running out of blanks, the card preview, and the
hand-over with its 1:1 fingerprint check; refusals and bad input change nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ektp.accounts import rules as roles
from ektp.audit.models import AuditEvent
from ektp.enrollment.tests.factories import ALAK, user
from ektp.issuance import rules as issuance_rules
from ektp.printing.models import PrintJob
from ektp.printing.tests.factories import (
    KOTA_DEPOK,
    KOTA_KUPANG,
    fingers_of,
    new_identity,
    print_point,
    print_ready,
    printer,
    snapshot,
    stock,
)

pytestmark = pytest.mark.django_db
WHO = {
    "none": ("", KOTA_KUPANG),
    "recording operator": (roles.RECORDING_OPERATOR, ALAK),
    "print operator, Depok": (roles.PRINT_OPERATOR, KOTA_DEPOK),
    "print operator, Kupang": (roles.PRINT_OPERATOR, KOTA_KUPANG),
}


@pytest.fixture
def office():
    dinas = print_point()
    printer(dinas)
    stock(dinas, blanks=3)
    return dinas


@pytest.fixture
def identity():
    return new_identity()


@pytest.fixture
def ready(office, identity):
    return print_ready(identity=identity)


def _login(client, who):
    if who != "anonymous":
        client.force_login(user(*WHO[who]))


def _queue(office):
    return reverse("print_queue", args=[office.pk])


def _start(client, office, application, **extra):
    return client.post(reverse("print_start", args=[office.pk]),
                       {"application": application.pk, **extra})


def _printing(client, office, application) -> PrintJob:
    assert _start(client, office, application).status_code == 302
    return PrintJob.objects.get(application=application, status=PrintJob.Status.PRINTING)


def _fingers(data) -> SimpleUploadedFile:
    text = json.dumps({str(p): v for p, v in data.items()})
    return SimpleUploadedFile("sidik.json", text.encode(), "application/json")


def _printed_job(ready):
    from ektp.printing.services import print_job_finish, print_job_start

    job = print_job_start(actor=None, office_id=print_point_of(ready).pk,
                          application_id=ready.pk)
    return print_job_finish(actor=None, job_id=job.pk)


def print_point_of(_application):
    from ektp.devices.models import Office

    return Office.objects.get(code="DINAS-5371")


def _requests():
    return [
        ("get", lambda o, a, j: reverse("print_offices")),
        ("get", lambda o, a, j: _queue(o)),
        ("post", lambda o, a, j: reverse("print_start", args=[o.pk])),
        ("post", lambda o, a, j: reverse("print_finish", args=[j.pk])),
        ("post", lambda o, a, j: reverse("print_spoil", args=[j.pk])),
        ("get", lambda o, a, j: reverse("card_preview", args=[j.pk])),
        ("post", lambda o, a, j: reverse("card_handover", args=[o.pk, a.pk])),
    ]


@pytest.fixture
def world(office, identity):
    """A record waiting, a card printing and a printed card waiting to be handed over."""
    waiting = print_ready()
    printing = print_ready()
    from ektp.printing.services import print_job_start

    job = print_job_start(actor=None, office_id=office.pk, application_id=printing.pk)
    printed = print_ready(identity=identity)
    _printed_job(printed)
    return {"office": office, "waiting": waiting, "job": job, "printed": printed}


def _call(client, world, method, url):
    target = url(world["office"], world["printed"], world["job"])
    data = {"application": world["waiting"].pk, "reason": "misprint"}
    if "serah" in target:
        data = {"fingerprints": _fingers(fingers_of(new_identity()))}
    return getattr(client, method)(target, data)


@pytest.mark.parametrize("n", range(7))
def test_anonymous_is_sent_to_login(client, world, n):
    method, url = _requests()[n]
    before = snapshot()
    response = _call(client, world, method, url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert snapshot() == before


@pytest.mark.parametrize("who", ["none", "recording operator"])
@pytest.mark.parametrize("n", range(7))
def test_a_role_without_printing_gets_403(client, world, who, n):
    method, url = _requests()[n]
    _login(client, who)
    before = snapshot()
    assert _call(client, world, method, url).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("n", range(1, 7))
def test_another_region_gets_404_and_changes_nothing(client, world, n):
    method, url = _requests()[n]
    _login(client, "print operator, Depok")
    before = snapshot()
    assert _call(client, world, method, url).status_code == 404
    assert snapshot() == before


def test_the_right_region_sees_queue_stock_printers_and_cards(client, world):
    _login(client, "print operator, Kupang")
    assert client.get(reverse("print_offices"))["Location"] == _queue(world["office"])
    page = client.get(_queue(world["office"]))
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "<style" not in html and " style=" not in html and "<script>" not in html
    assert page.context["stock"]["blank"] == 1 and page.context["waiting"] == 1
    assert "Fargo HDP5000" in html and world["job"].blank_serial in html
    assert world["waiting"].resident.name in html and world["waiting"].resident.nik not in html
    assert [a.pk for a in page.context["handover"]] == [world["printed"].pk]


# --- printing ---------------------------------------------------------------------------------

def test_print_then_printed(client, office, ready):
    _login(client, "print operator, Kupang")
    job = _printing(client, office, ready)
    assert job.blank_serial == "KTP25-0000001"
    ready.refresh_from_db()
    assert ready.status == issuance_rules.S_SFP
    response = client.post(reverse("print_finish", args=[job.pk]))
    assert response["Location"] == _queue(office)
    ready.refresh_from_db()
    assert ready.status == issuance_rules.S_PRINTED
    assert "tercetak" in client.get(_queue(office)).content.decode()


def test_print_with_a_scanned_serial(client, office, ready):
    _login(client, "print operator, Kupang")
    _start(client, office, ready, serial="KTP25-0000003")
    assert PrintJob.objects.get().blank_serial == "KTP25-0000003"


def test_spoil_with_a_reason_puts_the_record_back(client, office, ready):
    _login(client, "print operator, Kupang")
    job = _printing(client, office, ready)
    before = snapshot()
    bad = client.post(reverse("print_spoil", args=[job.pk]), {"reason": "returned_change"})
    assert bad.status_code == 302 and snapshot() == before  # not a spoilage reason
    assert "tidak dikenal" in client.get(_queue(office)).content.decode()
    client.post(reverse("print_spoil", args=[job.pk]), {"reason": "misprint"})
    job.refresh_from_db()
    ready.refresh_from_db()
    assert job.status == PrintJob.Status.SPOILED and job.spoil_reason == "misprint"
    assert ready.status == issuance_rules.S_PRR


def test_printing_until_blanks_run_out_says_what_to_do(client, office):
    records = [print_ready() for _ in range(4)]
    _login(client, "print operator, Kupang")
    for application in records[:3]:
        job = _printing(client, office, application)
        client.post(reverse("print_finish", args=[job.pk]))
    before = snapshot()
    refused = client.post(reverse("print_start", args=[office.pk]),
                          {"application": records[3].pk}, follow=True)
    assert "Blangko habis" in refused.content.decode()
    assert "Surat Keterangan" in refused.content.decode()
    assert snapshot() == before
    assert refused.context["stock"]["blank"] == 0


@pytest.mark.parametrize("data, message", [
    ({"application": "x"}, "tidak sah"),
    ({"application": 1, "serial": "KTP25-9999999"}, "tidak ada di stok"),
])
def test_bad_print_input_changes_nothing(client, office, ready, data, message):
    _login(client, "print operator, Kupang")
    if data["application"] == 1:
        data["application"] = ready.pk
    before = snapshot()
    page = client.post(reverse("print_start", args=[office.pk]), data, follow=True)
    assert message in page.content.decode()
    assert snapshot() == before


def test_a_record_claimed_twice_is_printed_once(client, office, ready):
    _login(client, "print operator, Kupang")
    _printing(client, office, ready)
    before = snapshot()
    again = _start(client, office, ready)
    assert again.status_code == 302 and snapshot() == before


# --- preview and hand-over ----------------------------------------------------------------------

def test_card_preview_is_a_png_audited_and_never_cached(client, office, ready):
    _login(client, "print operator, Kupang")
    job = _printing(client, office, ready)
    reads = AuditEvent.objects.filter(action="read").count()
    response = client.get(reverse("card_preview", args=[job.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG") and "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(action="read").count() == reads + 1


def test_handover_after_a_matching_fingerprint(client, office, ready, identity):
    _printed_job(ready)
    _login(client, "print operator, Kupang")
    url = reverse("card_handover", args=[office.pk, ready.pk])
    page = client.post(url, {"fingerprints": _fingers(fingers_of(identity))}, follow=True)
    assert "diserahkan" in page.content.decode()
    ready.refresh_from_db()
    assert ready.status == issuance_rules.S_ISSUED


def test_handover_refused_when_the_fingers_differ(client, office, ready):
    _printed_job(ready)
    _login(client, "print operator, Kupang")
    url = reverse("card_handover", args=[office.pk, ready.pk])
    page = client.post(url, {"fingerprints": _fingers(fingers_of(new_identity()))}, follow=True)
    assert "TIDAK cocok" in page.content.decode()
    ready.refresh_from_db()
    assert ready.status == issuance_rules.S_PRINTED
    assert ready.handovers.get().matched is False  # the failed check is kept


@pytest.mark.parametrize("upload, message", [
    (None, "belum dipilih"),
    (SimpleUploadedFile("x.json", b"[1, 2"), "tidak terbaca"),
])
def test_handover_bad_file_changes_nothing(client, office, ready, upload, message):
    _printed_job(ready)
    _login(client, "print operator, Kupang")
    before = snapshot()
    url = reverse("card_handover", args=[office.pk, ready.pk])
    page = client.post(url, {"fingerprints": upload} if upload else {}, follow=True)
    assert message in page.content.decode()
    assert snapshot() == before


# --- the list page: pagination and pinned queries -----------------------------------------------

def test_queue_paginates(client, office):
    for _ in range(22):
        print_ready()
    _login(client, "print operator, Kupang")
    first = client.get(_queue(office))
    assert len(first.context["applications"]) == 20 and first.context["waiting"] == 22
    assert 'href="?page=2"' in first.content.decode()
    assert len(client.get(_queue(office), {"page": 2}).context["applications"]) == 2


@pytest.mark.parametrize("rows", [2, 12])
def test_queue_queries_are_pinned(client, office, django_assert_num_queries, rows):
    """Session, user, region, office, stock, queue ids, the page's records, printers, live
    jobs, working printers (the print form), cards to hand over and their jobs."""
    for _ in range(rows):
        print_ready()
    _login(client, "print operator, Kupang")
    with django_assert_num_queries(11):
        assert client.get(_queue(office)).status_code == 200
