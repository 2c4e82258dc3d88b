from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "ektp.regions"
    verbose_name = "Wilayah"
