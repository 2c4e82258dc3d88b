from django.apps import AppConfig


class DedupConfig(AppConfig):
    name = "ektp.dedup"
    verbose_name = "Penunggalan"
