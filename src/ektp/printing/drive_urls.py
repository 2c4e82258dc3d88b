from django.urls import path

from ektp.printing import drive_views

urlpatterns = [
    path("", drive_views.drive_list, name="drive_list"),
    path("baru", drive_views.drive_create, name="drive_create"),
    path("<int:drive_id>/", drive_views.drive_detail, name="drive_detail"),
    path("<int:drive_id>/progres", drive_views.drive_progress, name="drive_progress"),
    path("<int:drive_id>/titik", drive_views.drive_point_set, name="drive_point_set"),
    path("<int:drive_id>/titik/<int:point_id>/minta", drive_views.drive_point_request,
         name="drive_point_request"),
    path("<int:drive_id>/titik/<int:point_id>/kirim", drive_views.drive_point_transfer,
         name="drive_point_transfer"),
]
