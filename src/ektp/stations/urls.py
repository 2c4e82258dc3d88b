from django.urls import path

from ektp.stations import print_views, views

urlpatterns = [
    path("", views.station_list, name="station_list"),
    path("cetak/", print_views.offline_print_list, name="station_print_list"),
    path("cetak/<int:central_id>/", print_views.offline_print, name="station_print"),
    path("cetak/<int:central_id>/kartu.pdf", print_views.offline_card_pdf,
         name="station_print_pdf"),
]
