from django.urls import path

from ektp.fieldwork import views

# Addressed by row ids and region codes: a NIK never appears in a URL.
urlpatterns = [
    path("", views.campaign_list, name="fieldwork_campaigns"),
    path("baru", views.campaign_create, name="fieldwork_campaign_create"),
    path("<int:campaign_id>/", views.campaign_detail, name="fieldwork_campaign"),
    path("<int:campaign_id>/tutup", views.campaign_close, name="fieldwork_campaign_close"),
    path("<int:campaign_id>/desa/<str:village_code>/", views.village_list,
         name="fieldwork_village"),
    path("<int:campaign_id>/desa/<str:village_code>/daftar.pdf", views.village_pdf,
         name="fieldwork_village_pdf"),
    path("kunjungan/<int:entry_id>/", views.entry_visit, name="fieldwork_entry"),
]
