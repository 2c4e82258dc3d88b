from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "ektp.enrollment"
    verbose_name = "Perekaman"
