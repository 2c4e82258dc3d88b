from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ektp.audit"
    verbose_name = "Audit"
