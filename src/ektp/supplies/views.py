"""Supplies pages: stock per office (blanks, ribbons, films; earmarks), the ledger, receipts
of allocations, transfers, requests, and destructions with their Berita Acara.

Reads need "supplies.view", writes "supplies.manage" (else 403); an office outside the
operator's region answers 404 like a missing one (``restrict``). Every write is a service call
(supplies/services.py): a refusal shows on the form with its code and writes nothing.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ektp.accounts.decorators import operator_required
from ektp.accounts.rules import SUPPLIES_MANAGE, SUPPLIES_VIEW
from ektp.accounts.scoping import may, region_filter, require_action, restrict
from ektp.devices.models import Office
from ektp.form_pages import form_page
from ektp.printing.selectors import queue_counts
from ektp.supplies import selectors, services
from ektp.supplies.forms import (
    DestructionForm,
    LedgerFilterForm,
    OfficeFilterForm,
    ReceiptForm,
    RequestForm,
    TransferForm,
)
from ektp.supplies.models import Destruction, InvalidCard, Item, StockMovement, StockRequest

PAGE_SIZE = 20
LEDGER_PAGE_SIZE = 50
RECENT = 10
REQUEST_TARGET_DAYS = 30  # a request covers the waiting records and a month of use
DESTROYABLE_LIMIT = 500  # cards offered at once on the destruction form
OFFICE_CHOICES_LIMIT = 200


def _offices(user, action: str):
    return restrict(user, action, Office.objects.select_related("region"))


def _office(user, action: str, office_id: int) -> Office:
    require_action(user, action)
    office = _offices(user, action).filter(pk=office_id).first()
    if office is None:
        raise Http404
    return office


def _can_manage(user, office: Office) -> bool:
    return may(user, SUPPLIES_MANAGE) and _offices(user, SUPPLIES_MANAGE).filter(
        pk=office.pk).exists()


@operator_required
@require_GET
def supplies_overview(request):
    """Each office's stock of blanks, ribbons and films, twenty offices a page."""
    require_action(request.user, SUPPLIES_VIEW)
    form = OfficeFilterForm(request.GET if "region" in request.GET else None, user=request.user)
    offices = _offices(request.user, SUPPLIES_VIEW).exclude(kind=Office.Kind.RECORDING)
    if form.is_bound and form.is_valid() and form.cleaned_data["region"]:
        offices = offices.filter(region_filter("region__code", form.cleaned_data["region"].code))
    page = Paginator(offices.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    overview = selectors.stock_overview(page.object_list)
    rows = [{"office": office, "lines": overview[office.pk]} for office in page.object_list]
    return render(request, "supplies/overview.html",
                  {"form": form, "page": page, "rows": rows,
                   "can_manage": may(request.user, SUPPLIES_MANAGE)})


@operator_required
@require_GET
def supplies_office(request, office_id: int):
    """One office: stock by item and earmark, cover, the latest movements, requests and
    destructions, and the cards waiting to be destroyed."""
    office = _office(request.user, SUPPLIES_VIEW, office_id)
    context = {
        "office": office, "summary": selectors.stock_summary(office),
        "movements": StockMovement.objects.filter(office=office)
        .select_related("actor", "counterpart").order_by("-at", "-id")[:RECENT],
        "requests": StockRequest.objects.filter(office=office).order_by("-sent_at")[:RECENT],
        "awaiting": InvalidCard.objects.filter(office=office, destruction=None).count(),
        "destructions": Destruction.objects.filter(office=office).order_by("-at")[:RECENT],
        "can_manage": _can_manage(request.user, office),
    }
    return render(request, "supplies/office.html", context)


def _done(request, office: Office, message: str):
    messages.success(request, message)
    return redirect("supplies_office", office_id=office.pk)


@operator_required
@never_cache
@require_http_methods(["GET", "POST"])
def supplies_receive(request, office_id: int):
    """Book a delivery (an allocation tranche) with its BA serah terima."""
    office = _office(request.user, SUPPLIES_MANAGE, office_id)
    requests = StockRequest.objects.filter(office=office).order_by("-sent_at")
    form = ReceiptForm(request.POST or None, requests=requests)

    def perform(data):
        movement = services.allocation_receive(
            actor=request.user, office_id=office.pk, item=data["item"],
            quantity=data["quantity"], handover_ref=data["handover_ref"],
            earmark=data["earmark"], serial_prefix=data["serial_prefix"] or None,
            first_serial=data["first_serial"],
            request_id=data["request"].pk if data["request"] else None,
            idempotency_key=data["idempotency_key"])
        return _done(request, office, _("Penerimaan dicatat: %(item)s %(n)d unit kartu.")
                     % {"item": movement.get_item_display(), "n": movement.quantity})

    return form_page(request, "supplies/receive.html",
                     {"office": office, "heading": _("Catat penerimaan")}, form, perform)


@operator_required
@never_cache
@require_http_methods(["GET", "POST"])
def supplies_transfer(request, office_id: int):
    """Send stock to another office (blanks oldest first)."""
    office = _office(request.user, SUPPLIES_MANAGE, office_id)
    form = TransferForm(request.POST or None)

    def perform(data):
        movement = services.stock_transfer(
            actor=request.user, from_office_id=office.pk, to_office_id=data["to_office"].pk,
            item=data["item"], quantity=data["quantity"], reference=data["reference"],
            earmark=data["earmark"], idempotency_key=data["idempotency_key"])
        return _done(request, office, _("Pengiriman ke %(to)s dicatat: %(n)d unit kartu.")
                     % {"to": data["to_office"].name, "n": -movement.quantity})

    destinations = _offices(request.user, SUPPLIES_VIEW).exclude(pk=office.pk).order_by(
        "code")[:OFFICE_CHOICES_LIMIT]
    return form_page(request, "supplies/transfer.html",
                     {"office": office, "destinations": destinations,
                      "heading": _("Kirim ke kantor lain")}, form, perform)


def _suggestion(office: Office, item: str) -> dict:
    backlog = queue_counts([office])[office.pk] if item == Item.BLANK else 0
    return selectors.request_suggestion(office, item, REQUEST_TARGET_DAYS, backlog=backlog)


@operator_required
@never_cache
@require_http_methods(["GET", "POST"])
def supplies_request(request, office_id: int):
    """A request sent up, prefilled with the suggested quantity and its justification."""
    office = _office(request.user, SUPPLIES_MANAGE, office_id)
    item = request.GET.get("item", Item.BLANK)
    item = item if item in Item.values else Item.BLANK
    suggestion = _suggestion(office, item)
    initial = {"item": item, "quantity": suggestion["quantity"] or None,
               "justification": suggestion["justification"]}
    form = RequestForm(request.POST or None, initial=initial)

    def perform(data):
        services.stock_request_send(actor=request.user, office_id=office.pk, **data)
        return _done(request, office, _("Permintaan dicatat."))

    return form_page(request, "supplies/request.html",
                     {"office": office, "suggestion": suggestion, "items": Item.choices,
                      "heading": _("Permintaan stok")}, form,
                     perform)


@operator_required
@never_cache
@require_http_methods(["GET", "POST"])
def supplies_destroy(request, office_id: int):
    """A pemusnahan: the cards booked invalid here, the BA number and the witnesses."""
    office = _office(request.user, SUPPLIES_MANAGE, office_id)
    cards = list(InvalidCard.objects.filter(office=office, destruction=None)
                 .order_by("serial")[:DESTROYABLE_LIMIT])
    form = DestructionForm(request.POST or None, cards=cards)

    def perform(data):
        destruction = services.destruction_record(
            actor=request.user, office_id=office.pk, ba_number=data["ba_number"],
            witnesses=form.witnesses(), serials=data["serials"])
        messages.success(request, _("Pemusnahan dicatat."))
        return redirect("supplies_destruction", destruction_id=destruction.pk)

    return form_page(request, "supplies/destroy.html", {"office": office, "cards": cards,
                                                          "heading": _("Pemusnahan kartu")},
                     form, perform)


@operator_required
@require_GET
def supplies_destruction(request, destruction_id: int):
    """The Berita Acara pemusnahan as a printable A4 page."""
    require_action(request.user, SUPPLIES_VIEW)
    destruction = restrict(request.user, SUPPLIES_VIEW, Destruction.objects.select_related(
        "office__region", "actor")).filter(pk=destruction_id).first()
    if destruction is None:
        raise Http404
    cards = list(destruction.cards.order_by("serial").only("serial", "reason"))
    return render(request, "supplies/berita_acara.html",
                  {"destruction": destruction, "cards": cards})


@operator_required
@require_GET
def supplies_ledger(request):
    """The ledger of the offices in the operator's region, newest first, fifty rows a page."""
    require_action(request.user, SUPPLIES_VIEW)
    offices = _offices(request.user, SUPPLIES_VIEW).order_by("code")
    form = LedgerFilterForm(request.GET, offices=offices)
    rows = restrict(request.user, SUPPLIES_VIEW, StockMovement.objects.select_related(
        "office", "actor", "counterpart")).order_by("-at", "-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["office"]:
            rows = rows.filter(office=data["office"])
        if data["item"]:
            rows = rows.filter(item=data["item"])
        if data["kind"]:
            rows = rows.filter(kind=data["kind"])
    page = Paginator(rows, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supplies/ledger.html", {"form": form, "page": page,
                                                    "ledger_url": reverse("supplies_ledger")})
