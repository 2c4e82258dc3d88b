from django.urls import path

from ektp.reports import views

# Aggregates only: a region code (never a person) may travel in ``?region=``.
urlpatterns = [
    path("", views.dashboard, name="reports_dashboard"),
    path("cakupan/", views.coverage_page, name="reports_coverage"),
    path("antrean/", views.backlog_page, name="reports_backlog"),
    path("stok/", views.stock_page, name="reports_stock"),
    path("perkiraan/", views.forecast_page, name="reports_forecast"),
    path("pemilu/", views.election_page, name="reports_election"),
    path("bulanan.pdf", views.monthly_pdf, name="reports_monthly"),
    path("ekspor/<slug:report>.<slug:fmt>", views.export_table, name="reports_export"),
]
