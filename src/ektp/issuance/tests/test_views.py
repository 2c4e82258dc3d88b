"""Certificate pages and application tracking: the permission matrix of every view (denials
write nothing), issuing only for an application that passed penunggalan, the PDF served
scoped, audited and never cached, the list's pinned query count and pagination, and the
status timeline reached from the resident's page."""

import pytest
from django.urls import reverse

from ektp.accounts import rules as roles
from ektp.audit.models import AuditEvent
from ektp.enrollment.tests.factories import ALAK, KOTA_DEPOK, KOTA_KUPANG, move, user
from ektp.issuance import rules
from ektp.issuance.models import TemporaryCertificate
from ektp.issuance.suket_services import certificate_revoke, certificate_verify
from ektp.issuance.tests.test_suket_services import (  # noqa: F401  (fixtures)
    application_at,
    dinas,
    issued,
    print_ready,
    register_state,
    suket_key,
    suket_key_dir,
)
from ektp.residents.rules import mask_nik

pytestmark = pytest.mark.django_db


@pytest.fixture
def application():
    return print_ready()


@pytest.fixture
def certificate(application):
    return issued(application=application)


def _views(application, certificate):
    return [
        ("certificate_list", "get", {}),
        ("certificate_detail", "get", {"certificate_id": certificate.pk}),
        ("certificate_print", "get", {"certificate_id": certificate.pk}),
        ("certificate_issue", "get", {"application_id": application.pk}),
        ("certificate_issue", "post", {"application_id": application.pk}),
        ("application_track", "get", {"application_id": application.pk}),
    ]


def _call(client, name, method, kwargs):
    url = reverse(name, kwargs=kwargs)
    office = dinas()
    return client.post(url, {"office": office.pk}) if method == "post" else client.get(url)


def test_anonymous_is_sent_to_login_and_nothing_is_written(client, application, certificate):
    before = register_state()
    for name, method, kwargs in _views(application, certificate):
        response = _call(client, name, method, kwargs)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert register_state() == before


@pytest.mark.parametrize("role", ["", roles.STOCK_KEEPER, roles.FIELD_OFFICER])
def test_a_role_without_permission_is_refused_403(client, application, certificate, role):
    client.force_login(user(role, KOTA_KUPANG))
    before = register_state()
    for name, method, kwargs in _views(application, certificate):
        assert _call(client, name, method, kwargs).status_code == 403, name
    assert register_state() == before


def test_the_head_of_office_tracks_but_issues_nothing(client, application, certificate):
    client.force_login(user(roles.HEAD_OF_OFFICE, KOTA_KUPANG))
    before = register_state()
    for name, method, kwargs in _views(application, certificate):
        expected = 200 if name == "application_track" else 403
        assert _call(client, name, method, kwargs).status_code == expected, name
    assert register_state() == before
    page = client.get(reverse("application_track", args=[application.pk])).content.decode()
    assert "Terbitkan surat keterangan" not in page
    assert reverse("certificate_detail", args=[certificate.pk]) not in page


def test_another_region_gets_404_like_a_missing_record(client, application, certificate):
    client.force_login(user(roles.SUPERVISOR, KOTA_DEPOK))
    before = register_state()
    for name, method, kwargs in _views(application, certificate):
        expected = 200 if not kwargs else 404
        assert _call(client, name, method, kwargs).status_code == expected, name
    assert register_state() == before
    listing = client.get(reverse("certificate_list"))
    assert listing.context["page"].paginator.count == 0


@pytest.mark.parametrize("role, region", [(roles.RECORDING_OPERATOR, ALAK),
                                          (roles.SUPERVISOR, KOTA_KUPANG)])
def test_the_right_region_sees_every_page(client, application, certificate, role, region):
    client.force_login(user(role, region))
    for name, method, kwargs in _views(application, certificate):
        if method == "get":
            assert _call(client, name, method, kwargs).status_code == 200, name


# --- issue and print ----------------------------------------------------------------------------

def test_issue_a_certificate_then_print_it(client, application):
    operator = user(roles.RECORDING_OPERATOR, ALAK)
    office = dinas("UPT-ALAK", ALAK)
    client.force_login(operator)
    page = client.get(reverse("certificate_issue", args=[application.pk]))
    assert page.context["qualifies"]
    response = client.post(reverse("certificate_issue", args=[application.pk]),
                           {"office": office.pk})
    certificate = TemporaryCertificate.objects.get()
    assert response["Location"] == reverse("certificate_detail", args=[certificate.pk])
    assert (certificate.office, certificate.issued_by) == (office, operator)
    assert certificate_verify(certificate.qr_text).status == "valid"
    detail = client.get(response["Location"]).content.decode()
    resident = application.resident
    assert resident.nik not in detail and mask_nik(resident.nik) in detail
    pdf = client.get(reverse("certificate_print", args=[certificate.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "no-store" in pdf["Cache-Control"]
    assert AuditEvent.objects.filter(action="print", nik=resident.nik).count() == 1


def test_issuing_twice_opens_the_same_certificate(client, application, certificate):
    client.force_login(user(roles.SUPERVISOR, KOTA_KUPANG))
    response = client.post(reverse("certificate_issue", args=[application.pk]),
                           {"office": certificate.office.pk})
    assert response["Location"] == reverse("certificate_detail", args=[certificate.pk])
    assert TemporaryCertificate.objects.count() == 1


@pytest.mark.parametrize("statuses", [
    (), (rules.S_ADJ,), (rules.S_DUP,), (rules.S_PRR, rules.S_SFP, rules.S_PRINTED, rules.S_ISSUED),
])
def test_no_certificate_before_penunggalan_or_after_the_card(client, statuses):
    application = application_at(*statuses)
    client.force_login(user(roles.SUPERVISOR, KOTA_KUPANG))
    page = client.get(reverse("certificate_issue", args=[application.pk]))
    assert not page.context["qualifies"]
    assert "lolos penunggalan" in page.content.decode()
    before = register_state()
    response = client.post(reverse("certificate_issue", args=[application.pk]),
                           {"office": dinas().pk})
    assert response.status_code == 409
    assert "certificate_not_allowed" in response.content.decode()
    assert register_state() == before


def test_an_office_outside_the_region_cannot_issue(client, application):
    depok = dinas("DINAS-DPK", KOTA_DEPOK)
    client.force_login(user(roles.SUPERVISOR, KOTA_KUPANG))
    before = register_state()
    response = client.post(reverse("certificate_issue", args=[application.pk]),
                           {"office": depok.pk})
    assert response.status_code == 400
    assert "pilihan yang valid" in response.content.decode()
    assert register_state() == before


def test_a_revoked_certificate_is_not_printed(client, certificate):
    certificate_revoke(actor=None, number=certificate.number, reason="Salah terbit")
    client.force_login(user(roles.SUPERVISOR, KOTA_KUPANG))
    before = register_state()
    response = client.get(reverse("certificate_print", args=[certificate.pk]))
    assert response.status_code == 409
    assert "certificate_not_active" in response.content.decode()
    assert register_state() == before


@pytest.mark.parametrize("count", [2, 23])
def test_the_list_queries_are_pinned_and_it_paginates(client, django_assert_num_queries, count):
    """Session, user, region (top bar), count, the page with holder and office joined."""
    office = dinas()
    for _ in range(count):
        issued(office=office)
    client.force_login(user(roles.SUPERVISOR, KOTA_KUPANG))
    with django_assert_num_queries(5):
        page = client.get(reverse("certificate_list")).context["page"]
    assert page.paginator.count == count
    assert len(page.object_list) == min(count, 20)
    listing = client.get(reverse("certificate_list")).content.decode()
    assert all(mask_nik(c.application.resident.nik) in listing
               for c in TemporaryCertificate.objects.order_by("-id")[:20])


# --- tracking -----------------------------------------------------------------------------------

def test_the_timeline_says_who_when_where_and_why(client):
    supervisor = user(roles.SUPERVISOR, KOTA_KUPANG, username="sup.kupang")
    application = application_at(rules.S_ADJ)
    move(application, rules.S_PRR, actor=supervisor)
    client.force_login(user(roles.RECORDING_OPERATOR, ALAK))
    page = client.get(reverse("application_track", args=[application.pk]))
    steps = page.context["history"]
    assert [step.to_status for step in steps][-2:] == [rules.S_ADJ, rules.S_PRR]
    text = page.content.decode()
    assert "sup.kupang" in text and "uji" in text  # who and why
    assert "Lolos penunggalan" in text
    assert reverse("certificate_issue", args=[application.pk]) in text


def test_the_resident_page_links_to_the_tracking_page(client, application):
    client.force_login(user(roles.RECORDING_OPERATOR, ALAK))
    page = client.get(reverse("resident_detail", args=[application.resident_id]))
    assert reverse("application_track", args=[application.pk]) in page.content.decode()
