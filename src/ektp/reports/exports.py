"""Every report table as CSV, XLSX (openpyxl) and PDF (reportlab platypus), plus the monthly
report for the head of office: one PDF with its charts drawn server-side (reportlab graphics),
so the PDF needs no browser. Tables hold aggregates only, never a person."""

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ektp.reports.tables import Table as ReportTable

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "pdf": "application/pdf"}
SERIES_COLOURS = (colors.HexColor("#1f5f9e"), colors.HexColor("#d9822b"),
                  colors.HexColor("#2e8b57"), colors.HexColor("#8e44ad"))


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, int | float) else str(value)


def to_csv(table: ReportTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.labels)
    for values in table.as_lists():
        writer.writerow([_cell(value) for value in values])
    return out.getvalue().encode("utf-8-sig")  # the BOM lets Excel read the UTF-8


def to_xlsx(table: ReportTable) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.key[:31]
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(table.labels)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for values in table.as_lists():
        sheet.append([_cell(value) for value in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf_table(table: ReportTable) -> Table:
    styles = getSampleStyleSheet()
    header = [Paragraph(f"<b>{label}</b>", styles["BodyText"]) for label in table.labels]
    body = [[_cell(value) for value in values] for values in table.as_lists()]
    flow = Table([header, *body], repeatRows=1)
    flow.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("FONTSIZE", (0, 1), (-1, -1), 8), ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
    ]))
    return flow


def _document(out, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(out, pagesize=landscape(A4), title=title, author="e-KTP",
                             leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                             bottomMargin=12 * mm)


def to_pdf(table: ReportTable) -> bytes:
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    _document(out, table.title).build([Paragraph(table.title, styles["Title"]),
                                       _pdf_table(table)])
    return out.getvalue()


def export(table: ReportTable, fmt: str) -> bytes:
    return {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}[fmt](table)


def bar_chart(title: str, labels: list[str], series: list[tuple[str, list[float]]],
              width: float = 250 * mm, height: float = 80 * mm) -> Drawing:
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 40, width - 160, height - 70
    chart.data = [values or [0] for _, values in series] or [[0]]
    chart.categoryAxis.categoryNames = [label[:14] for label in labels] or [""]
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 30 if len(labels) > 8 else 0
    chart.valueAxis.valueMin = 0
    for index in range(len(series)):
        chart.bars[index].fillColor = SERIES_COLOURS[index % len(SERIES_COLOURS)]
    drawing.add(chart)
    _legend(drawing, series, width)
    drawing.add(String(40, height - 15, title, fontSize=10))
    return drawing


def line_chart(title: str, labels: list[str], series: list[tuple[str, list[float]]],
               width: float = 250 * mm, height: float = 80 * mm) -> Drawing:
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 40, width - 160, height - 70
    chart.data = [values or [0] for _, values in series] or [[0]]
    step = max(1, len(labels) // 10)
    chart.categoryAxis.categoryNames = [label if i % step == 0 else ""
                                        for i, label in enumerate(labels)] or [""]
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    for index in range(len(series)):
        chart.lines[index].strokeColor = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        chart.lines[index].strokeWidth = 1.5
    drawing.add(chart)
    _legend(drawing, series, width)
    drawing.add(String(40, height - 15, title, fontSize=10))
    return drawing


def _legend(drawing: Drawing, series, width: float) -> None:
    legend = Legend()
    legend.x, legend.y = width - 110, drawing.height - 30
    legend.fontSize = 7
    legend.colorNamePairs = [(SERIES_COLOURS[i % len(SERIES_COLOURS)], name)
                             for i, (name, _) in enumerate(series)]
    drawing.add(legend)


def report_pdf(title: str, sections: list[tuple[str, list]]) -> bytes:
    """A multi-section PDF: each section a heading, then its flowables (paragraphs, charts
    as reportlab Drawings, report tables); each section after the first on a new page."""
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    story = [Paragraph(title, styles["Title"])]
    for index, (heading, parts) in enumerate(sections):
        if index:
            story.append(PageBreak())
        story.append(Paragraph(heading, styles["Heading2"]))
        for part in parts:
            if isinstance(part, ReportTable):
                story.append(_pdf_table(part))
            elif isinstance(part, str):
                story.append(Paragraph(part, styles["BodyText"]))
            else:
                story.append(part)
            story.append(Spacer(1, 4 * mm))
    _document(out, title).build(story)
    return out.getvalue()
