from django.apps import AppConfig


class IssuanceConfig(AppConfig):
    name = "ektp.issuance"
    verbose_name = "Permohonan"
