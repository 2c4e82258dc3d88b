from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "ektp.devices"
    verbose_name = "Kantor dan perangkat"
