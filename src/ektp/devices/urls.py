from django.urls import path

from ektp.devices import views

urlpatterns = [
    path("", views.device_overview, name="device_overview"),
    path("kantor/<int:office_id>/", views.device_office, name="device_office"),
    path("<int:device_id>/kerusakan", views.device_report, name="device_report"),
    path("<int:device_id>/perbaikan", views.device_repair_start, name="device_repair_start"),
    path("<int:device_id>/selesai", views.device_repair_close, name="device_repair_close"),
]
