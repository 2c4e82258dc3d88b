from django.contrib import admin

from ektp.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "nik_masked", "object_type", "object_id", "site")
    list_filter = ("action", "object_type")
    exclude = ("nik",)
    readonly_fields = ("at", "actor", "action", "nik_masked", "object_type", "object_id",
                       "site", "purpose")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
