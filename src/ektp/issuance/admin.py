from django.contrib import admin

from ektp.issuance.models import Application, ApplicationHistory


class HistoryInline(admin.TabularInline):
    model = ApplicationHistory
    fields = ("at", "from_status", "to_status", "actor", "site", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only: statuses change only through the services (the state machine)."""

    list_display = ("id", "kind", "status", "status_changed_at", "site")
    list_filter = ("status", "kind")
    readonly_fields = ("resident", "kind", "status", "enrollment", "police_letter_ref",
                       "document_ref", "duplicate_kind", "status_changed_at", "site")
    inlines = [HistoryInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
