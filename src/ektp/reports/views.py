"""The report pages (laporan/): dashboard, coverage, backlog and flow, stock and capacity,
forecast, election readiness; every table as CSV/XLSX/PDF and the monthly PDF.

No permission: 403; a region outside the user's: 404 (``?region=`` picks a sub-region). The
pages hold aggregates only. Every export is written to the audit log with its region.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ektp.accounts.decorators import operator_required
from ektp.accounts.scoping import may
from ektp.audit.services import audit_record
from ektp.errors import DomainError, NotFound
from ektp.errors import PermissionDenied as DomainForbidden
from ektp.regions.models import Region
from ektp.reports import charts, exports, selectors
from ektp.reports.capacity import stock_and_capacity
from ektp.reports.forms import CoverageForm, ElectionForm, ForecastForm
from ektp.reports.monthly import monthly_report
from ektp.reports.planning import LIMIT_LABELS, WhatIf, forecast_summary, forecast_view
from ektp.reports.selectors import REPORT_VIEW, STOCK_VIEW

DEFAULT_MONTHS = 6


def _scope(request, action: str = REPORT_VIEW) -> selectors.Scope:
    try:
        return selectors.report_scope(request.user, action, request.GET.get("region"))
    except DomainForbidden as exc:
        raise PermissionDenied from exc
    except NotFound as exc:
        raise Http404 from exc


def _context(request, scope: selectors.Scope, **extra) -> dict:
    crumbs = []
    region = scope.region
    while region is not None and (not request.user.region_id
                                  or region.code.startswith(request.user.region_id)):
        crumbs.insert(0, region)
        region = region.parent
    return {"scope": scope, "crumbs": crumbs, "computed_at": selectors.computed_at(scope),
            "may_stock": may(request.user, STOCK_VIEW), "region_param": scope.code, **extra}


@operator_required
@require_GET
def dashboard(request):
    """The head of office's page: the figures that matter, three charts, links to detail."""
    scope = _scope(request)
    coverage, flow = selectors.coverage(scope), selectors.flow(scope, 30)
    backlog = selectors.backlog(scope)
    summary = forecast_summary(forecast_view(scope))
    context = _context(
        request, scope, coverage=coverage, backlog=backlog, summary=summary,
        growth=selectors.queue_growth(scope),
        coverage_chart=charts.as_attribute(charts.coverage_chart(coverage)),
        flow_chart=charts.as_attribute(charts.flow_chart(flow)),
        backlog_chart=charts.as_attribute(charts.backlog_chart(backlog)))
    return render(request, "reports/dashboard.html", context)


def _months(request) -> tuple[CoverageForm, int]:
    form = CoverageForm(request.GET or None)
    months = DEFAULT_MONTHS
    if form.is_bound and form.is_valid():
        months = form.cleaned_data["bulan"] or DEFAULT_MONTHS
    return form, months


@operator_required
@require_GET
def coverage_page(request):
    scope = _scope(request)
    form, months = _months(request)
    table = selectors.coverage(scope, months)
    drill = scope.region is None or scope.region.level < Region.Level.VILLAGE
    return render(request, "reports/coverage.html", _context(
        request, scope, table=table, form=form, months=months, drill=drill,
        chart=charts.as_attribute(charts.coverage_chart(table))))


@operator_required
@require_GET
def backlog_page(request):
    scope = _scope(request)
    backlog, flow = selectors.backlog(scope), selectors.flow(scope, 30)
    return render(request, "reports/backlog.html", _context(
        request, scope, backlog=backlog, flow=flow, growth=selectors.queue_growth(scope),
        backlog_chart=charts.as_attribute(charts.backlog_chart(backlog)),
        flow_chart=charts.as_attribute(charts.flow_chart(flow))))


@operator_required
@require_GET
def stock_page(request):
    scope = _scope(request, STOCK_VIEW)
    table = stock_and_capacity(scope)
    return render(request, "reports/stock.html", _context(
        request, scope, table=table, chart=charts.as_attribute(charts.stock_chart(table))))


def _what_if(form: ForecastForm) -> tuple[WhatIf | None, object]:
    if not (form.is_bound and form.is_valid()):
        return None, None
    data = form.cleaned_data
    what_if = WhatIf(extra_blanks=data["blangko"] or 0, blanks_on=data["blangko_tiba"],
                     printers_repaired=data["printer"] or 0, repaired_on=data["printer_tanggal"],
                     extra_days=data["hari_tambahan"])
    return what_if, data["target"]


@operator_required
@require_GET
def forecast_page(request):
    scope = _scope(request)
    form = ForecastForm(request.GET if set(request.GET) - {"region"} else None)
    what_if, target = _what_if(form)
    view = forecast_view(scope, what_if, target)
    return render(request, "reports/forecast.html", _context(
        request, scope, form=form, view=view, summary=forecast_summary(view),
        limits=LIMIT_LABELS, chart=charts.as_attribute(view.chart)))


@operator_required
@require_GET
def election_page(request):
    scope = _scope(request)
    form = ElectionForm(request.GET if "tanggal" in request.GET else None)
    table = None
    if form.is_bound and form.is_valid():
        try:
            table = selectors.election(scope, form.cleaned_data["tanggal"])
        except DomainError as exc:
            form.add_error("tanggal", f"{exc.message} ({exc.code})")
    return render(request, "reports/election.html", _context(request, scope, form=form,
                                                             table=table))


def _table_for(request, report: str):
    if report == "stock":
        return stock_and_capacity(_scope(request, STOCK_VIEW))
    scope = _scope(request)
    if report == "coverage":
        return selectors.coverage(scope, _months(request)[1])
    if report == "election":
        form = ElectionForm(request.GET)
        if not form.is_valid():
            raise Http404
        try:
            return selectors.election(scope, form.cleaned_data["tanggal"])
        except DomainError as exc:
            raise Http404 from exc
    builders = {"backlog": selectors.backlog, "flow": selectors.flow,
                "growth": selectors.queue_growth}
    if report not in builders:
        raise Http404
    return builders[report](scope)


def _download(content: bytes, fmt: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


def _audit_export(request, purpose: str) -> None:
    code = request.GET.get("region") or request.user.region_id
    region = Region.objects.filter(pk=code).first() if code else None
    audit_record(actor=request.user, action="export", obj=region or request.user,
                 purpose=purpose)


@operator_required
@require_GET
def export_table(request, report: str, fmt: str):
    if fmt not in exports.FORMATS:
        raise Http404
    table = _table_for(request, report)
    content = exports.export(table, fmt)
    _audit_export(request, f"report {report} {fmt}")
    return _download(content, fmt, f"laporan-{report}")


@operator_required
@require_GET
def monthly_pdf(request):
    scope = _scope(request)
    content = monthly_report(scope)
    _audit_export(request, "report monthly pdf")
    name = _("laporan-bulanan")
    return _download(content, "pdf", f"{name}-{scope.today:%Y-%m}")
