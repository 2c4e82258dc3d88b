"""The printing API: the queue, print jobs, the card preview, batches and their PDF, the
hand-over; a permission matrix for every endpoint (denials change nothing) and the queue's
query count."""

from dataclasses import dataclass

import pypdfium2
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ektp.accounts import rules as roles
from ektp.audit.models import AuditEvent
from ektp.enrollment.tests.factories import PersonFactory, application_of, move, record, user
from ektp.issuance import rules
from ektp.issuance.models import Application
from ektp.printing.models import Handover, PrintJob
from ektp.printing.services import print_batch, print_job_finish, print_job_start
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
from ektp.residents.rules import mask_nik

pytestmark = pytest.mark.django_db

URL = "/api/print"


@dataclass
class World:
    """A print point with a printer and stock, and a record at each step: one printed (in a
    batch) whose holder is known, one on the printer, one waiting."""

    office: object
    printer: object
    printed: PrintJob
    holder: object
    printing: PrintJob
    ready: Application


@pytest.fixture
def world(office, hdp) -> World:
    stock(office, 5)
    holder = new_identity()
    print_ready(identity=holder, waited_days=30)
    batch = print_batch(actor=None, office_id=office.pk, limit=1, printer_id=hdp.pk)
    on_printer = print_ready(waited_days=20)
    printing = print_job_start(actor=None, office_id=office.pk, application_id=on_printer.pk,
                               printer_id=hdp.pk)
    return World(office=office, printer=hdp, printed=batch.jobs[0], holder=holder,
                 printing=printing, ready=print_ready(waited_days=10))


@pytest.fixture
def api(client):
    client.force_login(user(roles.PRINT_OPERATOR, KOTA_KUPANG, username="cetak-kupang"))
    return client


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    return response.json()


def pages(pdf: bytes) -> int:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_shows_masked_niks_stock_and_printers(api, world):
    printer(world.office, "broken")
    response = api.get(f"{URL}/offices/{world.office.pk}/queue")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["office_id"], body["waiting"], body["blanks_short"]) == (
        world.office.pk, 1, False)
    assert body["stock"] == {"blanks": 3, "ribbon": 498, "film": 498}
    assert [p["id"] for p in body["printers"]] == [world.printer.pk]
    [item] = body["items"]
    nik = world.ready.resident.nik
    assert (item["application_id"], item["nik"], item["kind"], item["waiting_days"]) == (
        world.ready.pk, mask_nik(nik), "new", 10)
    assert nik.encode() not in response.content


def test_the_queue_costs_the_same_few_queries_whatever_its_length(api, office,
                                                                  django_assert_max_num_queries):
    printer(office)
    stock(office, 10)
    print_ready()
    with CaptureQueriesContext(connection) as one:
        assert api.get(f"{URL}/offices/{office.pk}/queue").json()["waiting"] == 1
    for _ in range(4):
        print_ready()
    with django_assert_max_num_queries(8):
        with CaptureQueriesContext(connection) as five:
            assert len(api.get(f"{URL}/offices/{office.pk}/queue").json()["items"]) == 5
    assert len(five) == len(one)


def test_the_queue_limit_is_bounded(api, office):
    assert_refused(api.get(f"{URL}/offices/{office.pk}/queue", {"limit": 0}), 422,
                   "validation_error")


# --- print jobs ---------------------------------------------------------------------------------


def job_body(world, application=None, **extra) -> dict:
    return {"office_id": world.office.pk, "application_id": (application or world.ready).pk,
            "printer_id": world.printer.pk, **extra}


def test_a_job_starts_and_is_printed(api, world):
    response = post(api, f"{URL}/jobs", job_body(world, serial="KTP25-0000005"))
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["application_id"], job["blank_serial"], job["status"], job["printer_id"]) == (
        world.ready.pk, "KTP25-0000005", "printing", world.printer.pk)
    done = post(api, f"{URL}/jobs/{job['id']}/printed")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "printed"
    assert Application.objects.get(pk=world.ready.pk).status == rules.S_PRINTED


def test_a_spoiled_job_puts_the_record_back(api, world):
    response = post(api, f"{URL}/jobs/{world.printing.pk}/spoiled", {"reason": "misprint"})
    assert response.status_code == 200, response.content
    assert response.json()["spoil_reason"] == "misprint"
    assert Application.objects.get(pk=world.printing.application_id).status == rules.S_PRR


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"serial": "KTP25-0000001"}, 409, "blank_serial_used"),
    ({"serial": "KTP25-7777777"}, 404, "blank_serial_unknown"),
    ({"printer_id": None}, 422, "validation_error"),
    ({"application_id": 987654321}, 404, "application_unknown"),
    ({"office_id": 987654321}, 404, "office_unknown"),
    ({"colour": "blue"}, 422, "validation_error"),
])
def test_a_bad_job_is_refused_and_nothing_written(api, world, change, status, code):
    before = snapshot()
    assert_refused(post(api, f"{URL}/jobs", {**job_body(world), **change}), status, code)
    assert snapshot() == before


def test_a_duplicate_is_refused(api, world):
    duplicate = move(application_of(record(PersonFactory())), rules.S_DUP)
    before = snapshot()
    assert_refused(post(api, f"{URL}/jobs", job_body(world, duplicate)), 409,
                   "duplicate_not_printable")
    assert snapshot() == before


def test_no_blank_left_answers_409_and_offers_a_temporary_certificate(api, office, hdp):
    stock(office, 0)
    ready = print_ready()
    before = snapshot()
    body = assert_refused(post(api, f"{URL}/jobs", {
        "office_id": office.pk, "application_id": ready.pk, "printer_id": hdp.pk}),
        409, "blank_out")
    assert "Surat Keterangan" in body["detail"]
    assert snapshot() == before


def test_a_spoilage_reason_outside_the_list_is_422(api, world):
    before = snapshot()
    assert_refused(post(api, f"{URL}/jobs/{world.printing.pk}/spoiled",
                        {"reason": "returned_move"}), 422, "validation_error")
    assert snapshot() == before


def test_a_finished_job_cannot_be_spoiled(api, world):
    before = snapshot()
    assert_refused(post(api, f"{URL}/jobs/{world.printed.pk}/spoiled", {"reason": "misprint"}),
                   409, "print_job_finished")
    assert snapshot() == before


# --- card preview and batches -------------------------------------------------------------------


def test_the_card_preview_is_one_page_and_the_read_is_audited(api, world):
    response = api.get(f"{URL}/jobs/{world.printed.pk}/card.pdf")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert pages(response.content) == 1
    event = AuditEvent.objects.get(action="read", object_type="printing.printjob")
    assert (event.object_id, event.nik, event.actor.username) == (
        str(world.printed.pk), world.printed.application.resident.nik, "cetak-kupang")


def test_the_card_preview_as_an_image(api, world):
    response = api.get(f"{URL}/jobs/{world.printed.pk}/card.png")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert AuditEvent.objects.filter(action="read", object_id=str(world.printed.pk)).count() == 1


def test_a_batch_stops_at_blank_out_and_its_pdf_has_a_page_per_card(api, office, hdp):
    stock(office, 2)
    for days in (3, 2, 1):
        print_ready(waited_days=days)
    response = post(api, f"{URL}/batches", {"office_id": office.pk, "limit": 10,
                                            "printer_id": hdp.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["printed"], len(body["jobs"]), body["stopped"]) == (2, 2, "blank_out")
    assert "Surat Keterangan" in body["hint"]
    assert body["pdf_url"] == f"{URL}/batches/{body['batch']}.pdf"
    pdf = api.get(body["pdf_url"])
    assert pdf.status_code == 200, pdf.content
    assert pages(pdf.content) == 2
    assert AuditEvent.objects.filter(action="read", purpose__contains=body["batch"]).count() == 2


def test_a_batch_that_prints_everything_says_nothing_stopped_it(api, world):
    body = post(api, f"{URL}/batches", {"office_id": world.office.pk, "limit": 10,
                                        "printer_id": world.printer.pk}).json()
    assert (body["printed"], body["stopped"], body["hint"]) == (1, None, "")


def test_an_unknown_batch_is_404(api, world):
    assert_refused(api.get(f"{URL}/batches/no-such-batch.pdf"), 404, "batch_unknown")


# --- hand-over ----------------------------------------------------------------------------------


def handover_body(world, identity=None) -> dict:
    fingers = fingers_of(identity or world.holder)
    return {"application_id": world.printed.application_id,
            "fingerprints": {str(p): v for p, v in fingers.items()}}


def test_the_holder_s_fingers_issue_the_card(api, world):
    response = post(api, f"{URL}/handover", handover_body(world))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["matched"], body["status"]) == (True, rules.S_ISSUED)
    assert body["score"] >= 0.8


def test_someone_else_s_fingers_are_a_409_and_only_the_check_is_kept(api, world):
    before = snapshot()
    assert_refused(post(api, f"{URL}/handover", handover_body(world, new_identity())), 409,
                   "handover_mismatch")
    after = snapshot()
    assert after.pop("handovers") == before.pop("handovers") + 1
    assert after == before
    assert Handover.objects.get().matched is False
    assert Application.objects.get(pk=world.printed.application_id).status == rules.S_PRINTED


def test_a_malformed_template_is_a_400(api, world):
    before = snapshot()
    body = {"application_id": world.printed.application_id, "fingerprints": {"2": [1.0, 2.0]}}
    assert_refused(post(api, f"{URL}/handover", body), 400, "fingerprint_vector")
    assert snapshot() == before


# --- permissions --------------------------------------------------------------------------------

# Each endpoint: (method, url, body, success status) for a world.
ENDPOINTS = {
    "queue": lambda w: ("get", f"{URL}/offices/{w.office.pk}/queue", None, 200),
    "start job": lambda w: ("post", f"{URL}/jobs", job_body(w), 201),
    "printed": lambda w: ("post", f"{URL}/jobs/{w.printing.pk}/printed", {}, 200),
    "spoiled": lambda w: ("post", f"{URL}/jobs/{w.printing.pk}/spoiled",
                          {"reason": "misprint"}, 200),
    "card.pdf": lambda w: ("get", f"{URL}/jobs/{w.printed.pk}/card.pdf", None, 200),
    "card.png": lambda w: ("get", f"{URL}/jobs/{w.printed.pk}/card.png", None, 200),
    "batch": lambda w: ("post", f"{URL}/batches", {
        "office_id": w.office.pk, "limit": 1, "printer_id": w.printer.pk}, 200),
    "batch.pdf": lambda w: ("get", f"{URL}/batches/{w.printed.batch}.pdf", None, 200),
    "handover": lambda w: ("post", f"{URL}/handover", handover_body(w), 200),
}
# Who asks, and what they get when the endpoint's rule refuses them.
WHO = {
    "anonymous": (None, 401),
    "no role": (("", KOTA_KUPANG), 403),
    "field officer": ((roles.FIELD_OFFICER, KOTA_KUPANG), 403),
    "print operator, Kota Depok": ((roles.PRINT_OPERATOR, KOTA_DEPOK), 404),
    "print operator, Kota Kupang": ((roles.PRINT_OPERATOR, KOTA_KUPANG), None),
}


def call(client, method: str, url: str, body):
    if method == "get":
        return client.get(url)
    return post(client, url, body)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("who", WHO)
def test_permission_matrix(client, world, endpoint, who):
    identity, refused_with = WHO[who]
    if identity is not None:
        client.force_login(user(identity[0], identity[1]))
    method, url, body, success = ENDPOINTS[endpoint](world)
    before = snapshot()
    response = call(client, method, url, body)
    if refused_with is None:
        assert response.status_code == success, response.content
        return
    assert response.status_code == refused_with, response.content
    assert snapshot() == before


@pytest.mark.parametrize(("role", "endpoint", "status"), [
    (roles.STOCK_KEEPER, "queue", 200),  # sees the queue, prints nothing
    (roles.STOCK_KEEPER, "start job", 403),
    (roles.STOCK_KEEPER, "handover", 403),
    (roles.SUPERVISOR, "handover", 200),
    (roles.SUPERVISOR, "batch", 403),
    (roles.HEAD_OF_OFFICE, "card.pdf", 200),
    (roles.HEAD_OF_OFFICE, "printed", 403),
])
def test_each_role_may_do_only_its_part(client, world, role, endpoint, status):
    client.force_login(user(role, KOTA_KUPANG))
    method, url, body, _success = ENDPOINTS[endpoint](world)
    assert call(client, method, url, body).status_code == status


def test_an_operator_of_one_kecamatan_cannot_print_at_the_city_s_dinas(client, world):
    client.force_login(user(roles.PRINT_OPERATOR, "53.71.01"))
    before = snapshot()
    assert_refused(post(client, f"{URL}/jobs", job_body(world)), 404, "office_unknown")
    assert snapshot() == before


def test_an_office_of_the_operator_s_kelurahan_prints_its_records(client):
    kelurahan = print_point("KEL-NAMOSAIN", "53.71.01.1001")
    stock(kelurahan, 1)
    hdp = printer(kelurahan)
    ready = print_ready()
    client.force_login(user(roles.PRINT_OPERATOR, "53.71.01"))
    response = post(client, f"{URL}/jobs", {"office_id": kelurahan.pk,
                                            "application_id": ready.pk, "printer_id": hdp.pk})
    assert response.status_code == 201, response.content
    finished = print_job_finish(actor=None, job_id=response.json()["id"])
    assert finished.status == "printed"


# --- admin --------------------------------------------------------------------------------------


def test_the_admin_only_looks_and_masks_the_nik(client, world):
    client.force_login(user(roles.CENTRAL_ADMIN, None, is_staff=True, is_superuser=True))
    nik = world.printed.application.resident.nik
    job_page = f"/admin/printing/printjob/{world.printed.pk}/change/"
    for url in ("/admin/printing/printjob/", job_page):
        page = client.get(url)
        assert page.status_code == 200
        assert mask_nik(nik) in page.content.decode() and nik not in page.content.decode()
    assert client.get("/admin/printing/printjob/add/").status_code == 403
    assert client.get("/admin/printing/handover/").status_code == 200
