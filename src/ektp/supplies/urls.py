from django.urls import path

from ektp.supplies import views

urlpatterns = [
    path("", views.supplies_overview, name="supplies_overview"),
    path("buku/", views.supplies_ledger, name="supplies_ledger"),
    path("kantor/<int:office_id>/", views.supplies_office, name="supplies_office"),
    path("kantor/<int:office_id>/terima", views.supplies_receive, name="supplies_receive"),
    path("kantor/<int:office_id>/kirim", views.supplies_transfer, name="supplies_transfer"),
    path("kantor/<int:office_id>/permintaan", views.supplies_request, name="supplies_request"),
    path("kantor/<int:office_id>/pemusnahan", views.supplies_destroy, name="supplies_destroy"),
    path("berita-acara/<int:destruction_id>/", views.supplies_destruction,
         name="supplies_destruction"),
]
