from django.contrib import admin
from django.http import JsonResponse
from django.urls import path

from ektp.api import api
from ektp.issuance.views import suket_verify


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("health", health),
    path("suket/verifikasi", suket_verify, name="suket_verify"),
]
