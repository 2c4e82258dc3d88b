"""The monthly report for the head of office: one PDF with the month's figures and charts."""

from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ektp.reports import exports, selectors
from ektp.reports.capacity import stock_and_capacity
from ektp.reports.planning import forecast_summary, forecast_view
from ektp.reports.selectors import Scope

MONTH_DAYS = 30


def _summary_lines(scope: Scope, summary: dict, totals: dict) -> list[str]:
    share = selectors._share(totals["wajib_card"], totals["wajib"])
    done = summary["done_on"]
    lines = [
        _("Wajib KTP: %(wajib)d; ber-KTP-el: %(card)d (%(share)s%%).") % {
            "wajib": totals["wajib"], "card": totals["wajib_card"], "share": share or 0},
        _("Belum rekam: %(rec)d; dalam penunggalan: %(dedup)d; PRR menunggu cetak: %(prr)d.")
        % {"rec": summary["to_record"], "dedup": summary["in_dedup"], "prr": summary["to_print"]},
        _("Usia 22 tahun ke atas tanpa KTP-el (NIK terancam dinonaktifkan): %(n)d.")
        % {"n": totals["no_card_22"]},
    ]
    if done:
        lines.append(_("Perkiraan selesai: %(day)s (dibatasi oleh %(limit)s).") % {
            "day": date_format(done, "j F Y"), "limit": summary["main_limit_label"]})
    else:
        lines.append(_("Perkiraan selesai: tidak tercapai dalam 3 tahun (terhenti karena "
                       "%(limit)s).") % {"limit": summary["main_limit_label"]})
    return [escape(line) for line in lines]


def monthly_report(scope: Scope) -> bytes:
    coverage = selectors.coverage(scope)
    flow = selectors.flow(scope, MONTH_DAYS)
    view = forecast_view(scope)
    summary = forecast_summary(view)
    labels = [row["name"] for row in coverage.rows]
    coverage_chart = exports.bar_chart(
        _("Wajib KTP dan KTP-el tercetak"), labels,
        [(_("Wajib KTP"), [row["wajib"] or 0 for row in coverage.rows]),
         (_("Tercetak"), [row["printed"] or 0 for row in coverage.rows])])
    flow_chart = exports.line_chart(
        _("Arus harian"), [row["day"].isoformat()[5:] for row in flow.rows],
        [(_("Direkam"), [row["recorded"] for row in flow.rows]),
         (_("Dicetak"), [row["printed"] for row in flow.rows])])
    forecast_chart = exports.line_chart(
        _("Kartu tercetak kumulatif (perkiraan)"),
        [label[5:] for label in view.chart["labels"]],
        [(d["label"], d["data"]) for d in view.chart["datasets"]])
    title = _("Laporan bulanan KTP-el: %(region)s, %(month)s") % {
        "region": scope.label, "month": date_format(scope.today, "F Y")}
    return exports.report_pdf(escape(title), [
        (_("Ringkasan"), [*_summary_lines(scope, summary, selectors.coverage_totals(scope)),
                          forecast_chart]),
        (_("Cakupan per wilayah"), [coverage_chart, coverage]),
        (_("Arus dan antrean"), [flow_chart, selectors.backlog(scope)]),
        (_("Stok dan kapasitas"), [stock_and_capacity(scope)]),
    ])
