from django.urls import path

from ektp.residents import views

# Addressed by the row id only: a NIK or KK number never appears in a URL.
urlpatterns = [
    path("", views.resident_search, name="resident_search"),
    path("<int:resident_id>/", views.resident_detail, name="resident_detail"),
    path("<int:resident_id>/nik", views.resident_open_nik, name="resident_open_nik"),
]
