from django.urls import path

from ektp.enrollment import views

# Addressed by the row id only: a NIK or name never appears in a URL.
urlpatterns = [
    path("", views.recording_start, name="recording_start"),
    path("<int:resident_id>/", views.recording_form, name="recording_form"),
    path("periksa/<slug:field>", views.recording_check, name="recording_check"),
]
