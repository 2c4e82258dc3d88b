from django.apps import AppConfig


class EktpConfig(AppConfig):
    name = "ektp"
    verbose_name = "e-KTP"

    def ready(self):
        from ektp import checks  # noqa: F401  (registers the startup checks)
