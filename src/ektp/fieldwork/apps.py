from django.apps import AppConfig


class FieldworkConfig(AppConfig):
    name = "ektp.fieldwork"
    verbose_name = "Verifikasi lapangan"
