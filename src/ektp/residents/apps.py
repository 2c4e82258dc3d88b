from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "ektp.residents"
    verbose_name = "Penduduk"
