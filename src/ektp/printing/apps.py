from django.apps import AppConfig


class PrintingConfig(AppConfig):
    name = "ektp.printing"
    verbose_name = "Pencetakan"
