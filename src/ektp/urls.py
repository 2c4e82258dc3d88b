from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path

from ektp.api import api
from ektp.issuance.urls import application_urls, certificate_urls
from ektp.issuance.views import suket_verify


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", include("ektp.accounts.urls")),
    path("residents/", include("ektp.residents.urls")),
    path("laporan/", include("ektp.reports.urls")),
    path("perekaman/", include("ektp.enrollment.urls")),
    path("penunggalan/", include("ektp.dedup.urls")),
    path("cetak/", include("ektp.printing.urls")),
    path("persediaan/", include("ektp.supplies.urls")),
    path("perangkat/", include("ektp.devices.urls")),
    path("suket/", include(certificate_urls)),
    path("permohonan/", include(application_urls)),
    path("wilayah/", include("ektp.regions.urls")),
    path("stasiun/", include("ektp.stations.urls")),
    path("lapangan/", include("ektp.fieldwork.urls")),
    path("drive/", include("ektp.printing.drive_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("health", health),
    path("suket/verifikasi", suket_verify, name="suket_verify"),
]
