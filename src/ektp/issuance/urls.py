from django.urls import path

from ektp.issuance import views

# Addressed by row ids only: a NIK never appears in a URL. "suket/verifikasi" (the public
# verify page) is routed in ektp/urls.py.
certificate_urls = [
    path("", views.certificate_list, name="certificate_list"),
    path("<int:certificate_id>/", views.certificate_detail, name="certificate_detail"),
    path("<int:certificate_id>/pdf", views.certificate_pdf, name="certificate_print"),
    path("terbitkan/<int:application_id>/", views.certificate_issue, name="certificate_issue"),
]

application_urls = [
    path("<int:application_id>/", views.application_track, name="application_track"),
]
