from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path

from ektp.api import api
from ektp.issuance.views import suket_verify


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", include("ektp.accounts.urls")),
    path("residents/", include("ektp.residents.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("health", health),
    path("suket/verifikasi", suket_verify, name="suket_verify"),
]
