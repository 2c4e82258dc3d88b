from django.urls import path

from ektp.dedup import views

# Addressed by row ids only: no NIK or name in a URL.
urlpatterns = [
    path("", views.adjudication_queue, name="adjudication_queue"),
    path("<int:application_id>/", views.adjudication_detail, name="adjudication_detail"),
    path("<int:application_id>/putuskan", views.adjudication_decide_view,
         name="adjudication_decide"),
    path("<int:application_id>/gambar/<int:enrollment_id>/<slug:kind>",
         views.adjudication_image, name="adjudication_image"),
]
