from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ektp.demo"
    verbose_name = "Demo"
