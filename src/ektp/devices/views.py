"""Devices pages: offices with their printers, recording kits and capacity (cards a day), the
kecamatan where no recording kit is in service, an office's devices, and the forms to report a
breakdown, start a repair and close it.

Reads need "device.view", writes "device.manage" (else 403); an office or device outside the
operator's region answers 404 like a missing one. Every write is a service call
(devices/services.py); a refusal shows with its code and writes nothing.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ektp.accounts.decorators import operator_required
from ektp.accounts.rules import DEVICE_MANAGE, DEVICE_VIEW
from ektp.accounts.scoping import may, region_filter, require_action, restrict
from ektp.devices import selectors, services
from ektp.devices.forms import BreakdownForm, DeviceFilterForm, RepairCloseForm
from ektp.devices.models import Device, Office
from ektp.errors import DomainError
from ektp.form_pages import refusal_status, refusal_text

PAGE_SIZE = 20
UNCOVERED_SHOWN = 50  # kecamatan listed by name; a province may have hundreds


def _office(user, action: str, office_id: int) -> Office:
    require_action(user, action)
    office = restrict(user, action, Office.objects.select_related("region")).filter(
        pk=office_id).first()
    if office is None:
        raise Http404
    return office


def _area(request, form: DeviceFilterForm) -> str | None:
    """The region the overview covers: the one chosen, else the operator's own."""
    if form.is_bound and form.is_valid() and form.cleaned_data["region"]:
        return form.cleaned_data["region"].code
    return request.user.region_id


@operator_required
@require_GET
def device_overview(request):
    """Offices with their printers, kits and cards a day; the region's capacity; kecamatan
    with no recording kit in service flagged."""
    require_action(request.user, DEVICE_VIEW)
    form = DeviceFilterForm(request.GET if "region" in request.GET else None, user=request.user)
    area = _area(request, form)
    offices = restrict(request.user, DEVICE_VIEW, Office.objects.select_related("region"))
    devices = restrict(request.user, DEVICE_VIEW, Device.objects.all())
    if area:
        offices = offices.filter(region_filter("region__code", area))
        devices = devices.filter(region_filter("office__region__code", area))
    offices = selectors.kits_in_service(selectors.with_printer_counts(offices)).order_by("code")
    page = Paginator(offices, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"office": office, "cards_per_day": selectors.cards_per_day(office)}
            for office in page.object_list]
    uncovered = selectors.districts_without_recording_kit(area) if area else None
    return render(request, "devices/overview.html", {
        "form": form, "page": page, "rows": rows, "capacity": selectors.capacity_total(devices),
        "uncovered": uncovered[:UNCOVERED_SHOWN] if uncovered else uncovered,
        "uncovered_count": len(uncovered) if uncovered else 0})


def _office_page(request, office: Office, *, errors=None, forms=None, status=200):
    can_manage = may(request.user, DEVICE_MANAGE) and restrict(
        request.user, DEVICE_MANAGE, Office.objects.filter(pk=office.pk)).exists()
    devices = list(selectors.office_devices(office))
    forms, errors = forms or {}, errors or {}
    for device in devices:
        device.error = errors.get(device.pk)
        device.breakdown_form = forms.get(("breakdown", device.pk)) or BreakdownForm(
            prefix=f"d{device.pk}")
        device.close_form = forms.get(("close", device.pk)) or RepairCloseForm(
            prefix=f"d{device.pk}")
    return render(request, "devices/office.html", {
        "office": office, "devices": devices, "can_manage": can_manage,
        "capacity": selectors.office_capacity(office)}, status=status)


@operator_required
@require_GET
def device_office(request, office_id: int):
    """An office's recording kits and printers, each with its open breakdown."""
    return _office_page(request, _office(request.user, DEVICE_VIEW, office_id))


def _device(user, device_id: int) -> Device:
    require_action(user, DEVICE_MANAGE)
    device = restrict(user, DEVICE_MANAGE, Device.objects.select_related("office")).filter(
        pk=device_id).first()
    if device is None:
        raise Http404
    return device


def _write(request, device: Device, kind: str, form, call, done: str):
    """Run ``call`` when ``form`` is valid; else the office page again with the error on the
    device's row (400/409), nothing written."""
    if form is not None and not form.is_valid():
        return _office_page(request, device.office, forms={(kind, device.pk): form}, status=400)
    try:
        call(form.cleaned_data if form is not None else {})
    except DomainError as exc:
        return _office_page(request, device.office, errors={device.pk: refusal_text(exc)},
                            forms={(kind, device.pk): form} if form is not None else None,
                            status=refusal_status(exc))
    messages.success(request, done % {"device": device})
    return redirect("device_office", office_id=device.office_id)


@operator_required
@require_POST
def device_report(request, device_id: int):
    """Report a breakdown: the device stops (broken) or limps on (degraded)."""
    device = _device(request.user, device_id)
    form = BreakdownForm(request.POST, prefix=f"d{device.pk}")
    return _write(request, device, "breakdown", form, lambda data: services.device_report_breakdown(
        actor=request.user, device_id=device.pk, description=data["description"],
        degraded_only=data["degraded_only"]), _("Kerusakan %(device)s dicatat."))


@operator_required
@require_POST
def device_repair_start(request, device_id: int):
    device = _device(request.user, device_id)
    return _write(request, device, "start", None, lambda data: services.device_start_repair(
        actor=request.user, device_id=device.pk), _("Perbaikan %(device)s dimulai."))


@operator_required
@require_POST
def device_repair_close(request, device_id: int):
    """The device works again; its open breakdown is closed with a note."""
    device = _device(request.user, device_id)
    form = RepairCloseForm(request.POST, prefix=f"d{device.pk}")
    return _write(request, device, "close", form, lambda data: services.device_close_repair(
        actor=request.user, device_id=device.pk, note=data["note"]),
        _("%(device)s berfungsi kembali."))
