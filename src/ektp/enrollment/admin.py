from django.contrib import admin

from ektp.enrollment.models import Enrollment


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Metadata only: sealed images and templates are never shown."""

    list_display = ("enrollment_id", "station_code", "captured_at", "received_at", "finger_count")
    search_fields = ("=enrollment_id",)
    fields = ("enrollment_id", "station_code", "sequence", "captured_at", "received_at",
              "operator", "photo_width", "photo_height", "finger_count")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
