from django.urls import path

from ektp.stations import views

urlpatterns = [
    path("", views.station_list, name="station_list"),
]
