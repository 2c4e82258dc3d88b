from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "ektp.reports"
    verbose_name = "Laporan"
