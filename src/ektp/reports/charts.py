"""Chart descriptions (Chart.js config subsets) built from report tables. The pages put them
in a ``data-chart`` attribute that ``reports/charts.js`` reads: no inline script (CSP)."""

import json

from django.utils.translation import gettext as _

from ektp.reports.tables import Table


def _bar(labels, datasets, stacked=False) -> dict:
    return {"type": "bar", "labels": labels, "datasets": datasets, "stacked": stacked}


def coverage_chart(table: Table) -> dict:
    labels = [row["name"] for row in table.rows]
    return _bar(labels, [
        {"label": _("Wajib KTP"), "data": [row["wajib"] or 0 for row in table.rows]},
        {"label": _("Sudah rekam"), "data": [row["recorded"] or 0 for row in table.rows]},
        {"label": _("Tercetak"), "data": [row["printed"] or 0 for row in table.rows]},
    ])


def flow_chart(table: Table) -> dict:
    return {"type": "line", "labels": [row["day"].isoformat() for row in table.rows],
            "datasets": [{"label": str(label), "data": [row[key] for row in table.rows]}
                         for key, label in table.columns[1:]]}


def backlog_chart(table: Table) -> dict:
    waiting = [row for row in table.rows if row.get("waiting")]
    return _bar([row["status"] for row in waiting],
                [{"label": _("Menunggu"), "data": [row["count"] for row in waiting]}])


def stock_chart(table: Table) -> dict:
    labels = [row["code"] for row in table.rows]
    return _bar(labels, [
        {"label": _("Blangko cukup (hari)"),
         "data": [row["blank_cover"] or 0 for row in table.rows]},
        {"label": _("Ribbon cukup (hari)"),
         "data": [row["ribbon_cover"] or 0 for row in table.rows]},
    ])


def as_attribute(chart: dict) -> str:
    """JSON for a ``data-chart`` attribute (the template escapes it)."""
    return json.dumps(chart, default=str)
