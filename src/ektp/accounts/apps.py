from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ektp.accounts"
    verbose_name = "Akun"
