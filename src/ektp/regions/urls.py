from django.urls import path

from ektp.regions import views

urlpatterns = [
    path("cari", views.region_picker, name="region_picker"),
]
