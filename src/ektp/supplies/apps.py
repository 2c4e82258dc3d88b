from django.apps import AppConfig


class SuppliesConfig(AppConfig):
    name = "ektp.supplies"
    verbose_name = "Blangko dan bahan cetak"
