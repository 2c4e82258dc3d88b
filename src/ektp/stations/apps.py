from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "ektp.stations"
    label = "stations"
    verbose_name = "Stasiun dan sinkronisasi"
