"""Printing-drive pages: the drives, planning one, its live progress per print point (the
progress table refreshes itself through htmx), targets, blank requests and transfers to the
points.

Reading needs "print.view", planning "drive.manage", stock "supplies.manage" (else 403); a
drive, point or office outside the user's region answers the same 404 as a missing one. Every
write is a service call; a refusal is shown with its message and changes nothing.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ektp.accounts import rules as roles
from ektp.accounts.decorators import operator_required
from ektp.accounts.scoping import may, region_allowed, region_filter, require_action, restrict
from ektp.devices.models import Office
from ektp.errors import DomainError
from ektp.printing import drive_selectors, drive_services
from ektp.printing.drive_forms import DriveForm, PointForm, TransferForm
from ektp.printing.models import Drive, DrivePoint

LIST_LIMIT = 100


def _drive(user, drive_id: int) -> Drive:
    require_action(user, roles.PRINT_VIEW)
    drive = drive_selectors.drives_visible(user).filter(pk=drive_id).first()
    if drive is None:
        raise Http404
    return drive


def _managed(user, drive_id: int) -> Drive:
    require_action(user, roles.DRIVE_MANAGE)
    drive = restrict(user, roles.DRIVE_MANAGE, Drive.objects.filter(pk=drive_id)).first()
    if drive is None:
        raise Http404
    return drive


def _print_points(user, drive: Drive) -> list[Office]:
    offices = restrict(user, roles.DRIVE_MANAGE, Office.objects.filter(
        region_filter("region__code", drive.region_id), prints_cards=True))
    return list(offices.order_by("code"))


def _stock_point(user, drive_id: int, point_id: int) -> DrivePoint:
    require_action(user, roles.SUPPLIES_MANAGE)
    point = restrict(user, roles.SUPPLIES_MANAGE, DrivePoint.objects.filter(
        pk=point_id, drive_id=drive_id)).select_related("drive", "office").first()
    if point is None:
        raise Http404
    return point


@operator_required
@require_GET
def drive_list(request):
    require_action(request.user, roles.PRINT_VIEW)
    drives = list(drive_selectors.drives_visible(request.user)[:LIST_LIMIT])
    return render(request, "printing/drives/list.html", {
        "drives": drives, "may_manage": may(request.user, roles.DRIVE_MANAGE)})


@operator_required
@require_http_methods(["GET", "POST"])
def drive_create(request):
    user = request.user
    require_action(user, roles.DRIVE_MANAGE)
    form = DriveForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not region_allowed(user, data["region_code"]):
            raise Http404
        try:
            drive = drive_services.drive_create(
                actor=user, name=data["name"], region_code=data["region_code"],
                starts_at=data["starts_at"], ends_at=data["ends_at"],
                stall_minutes=data["stall_minutes"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Kegiatan cetak massal dibuat; tambahkan titik cetak."))
            return redirect("drive_detail", drive.pk)
    return render(request, "printing/drives/form.html", {"form": form})


def _progress_context(user, drive: Drive) -> dict:
    progress = drive_selectors.drive_progress(drive, drive_selectors.points_visible(user, drive))
    return {"drive": drive, "progress": progress,
            "may_stock": may(user, roles.SUPPLIES_MANAGE)}


@operator_required
@never_cache
@require_GET
def drive_detail(request, drive_id: int):
    drive = _drive(request.user, drive_id)
    context = _progress_context(request.user, drive)
    managed = may(request.user, roles.DRIVE_MANAGE) and region_allowed(request.user,
                                                                      drive.region_id)
    if managed:
        context["point_form"] = PointForm(offices=_print_points(request.user, drive))
    return render(request, "printing/drives/detail.html", context)


@operator_required
@never_cache
@require_GET
def drive_progress(request, drive_id: int):
    """The progress table alone: the detail page polls it while the drive runs."""
    drive = _drive(request.user, drive_id)
    return render(request, "printing/drives/_progress.html",
                  _progress_context(request.user, drive))


@operator_required
@require_POST
def drive_point_set(request, drive_id: int):
    drive = _managed(request.user, drive_id)
    form = PointForm(request.POST, offices=_print_points(request.user, drive))
    if not form.is_valid():
        messages.error(request, _("Pilih titik cetak dan target 1 sampai 100.000 kartu."))
        return redirect("drive_detail", drive.pk)
    try:
        drive_services.drive_point_set(actor=request.user, drive_id=drive.pk,
                                       office_id=int(form.cleaned_data["office"]),
                                       target=form.cleaned_data["target"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Target titik cetak disimpan."))
    return redirect("drive_detail", drive.pk)


@operator_required
@require_POST
def drive_point_request(request, drive_id: int, point_id: int):
    point = _stock_point(request.user, drive_id, point_id)
    try:
        sent = drive_services.drive_point_request(actor=request.user, point_id=point.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Permintaan %(n)d blangko untuk %(office)s dicatat.")
                         % {"n": sent.quantity, "office": point.office.name})
    return redirect("drive_detail", drive_id)


@operator_required
@require_http_methods(["GET", "POST"])
def drive_point_transfer(request, drive_id: int, point_id: int):
    """Send blanks from another office of the user's region to the point."""
    point = _stock_point(request.user, drive_id, point_id)
    offices = list(restrict(request.user, roles.SUPPLIES_MANAGE,
                            Office.objects.exclude(pk=point.office_id)).order_by("code"))
    form = TransferForm(request.POST or None, offices=offices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drive_services.drive_point_supply(
                actor=request.user, point_id=point.pk, quantity=data["quantity"],
                handover_ref=data["handover_ref"], idempotency_key=data["idempotency_key"],
                from_office_id=int(data["from_office"]))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(n)d blangko dikirim ke %(office)s.")
                             % {"n": data["quantity"], "office": point.office.name})
            return redirect("drive_detail", drive_id)
    return render(request, "printing/drives/transfer.html", {"point": point, "form": form})
