from django.urls import path

from ektp.printing import views

# Addressed by row ids only: no NIK or name in a URL.
urlpatterns = [
    path("", views.print_offices, name="print_offices"),
    path("<int:office_id>/", views.print_queue, name="print_queue"),
    path("<int:office_id>/cetak", views.print_start, name="print_start"),
    path("<int:office_id>/serah/<int:application_id>", views.card_handover_view,
         name="card_handover"),
    path("pekerjaan/<int:job_id>/tercetak", views.print_finish, name="print_finish"),
    path("pekerjaan/<int:job_id>/rusak", views.print_spoil, name="print_spoil"),
    path("pekerjaan/<int:job_id>/kartu.png", views.card_preview, name="card_preview"),
]
