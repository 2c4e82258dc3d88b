"""A print point's offline printing page (station role only): the print-ready records it holds,
print one (a blank by serial or the lowest one, ribbon and film), and download the card of a
record printed here. Reads need ``print.view``, printing ``print.run``."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ektp.accounts import rules as roles
from ektp.accounts.decorators import operator_required
from ektp.accounts.scoping import require_action
from ektp.errors import DomainError
from ektp.stations.offline_print import prefetched_rows, printed_card_pdf
from ektp.stations.station_pull import prefetched_print


def _station_only() -> None:
    if settings.EKTP_ROLE != "station":
        raise Http404


@operator_required
@never_cache
@require_GET
def offline_print_list(request):
    _station_only()
    require_action(request.user, roles.PRINT_VIEW)
    return render(request, "stations/print_offline.html", {"rows": prefetched_rows()})


@operator_required
@require_POST
def offline_print(request, central_id: int):
    _station_only()
    require_action(request.user, roles.PRINT_RUN)
    try:
        record = prefetched_print(actor=request.user, central_id=central_id,
                                  blank_serial=request.POST.get("blank_serial", "")[:32])
    except DomainError as error:
        messages.error(request, f"{error.message} ({error.code})")
        return redirect("station_print_list")
    messages.success(request, _("Rekaman #%(id)d dicetak pada blangko %(s)s; hasilnya dikirim "
                                "ke pusat saat sinkron.")
                     % {"id": central_id, "s": record.blank_serial})
    return redirect("station_print_list")


@operator_required
@require_GET
def offline_card_pdf(request, central_id: int):
    _station_only()
    require_action(request.user, roles.PRINT_RUN)
    try:
        pdf = printed_card_pdf(central_id)
    except DomainError as error:
        messages.error(request, f"{error.message} ({error.code})")
        return redirect("station_print_list")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="kartu-{central_id}.pdf"'
    return response
