"""Admin pages to look at offices, devices and breakdowns. They only look: devices change state
through the services (conditional transitions, one open breakdown per device); rows are scoped
to the user's region like the API."""

from django.contrib import admin

from ektp.accounts import rules as roles
from ektp.accounts.scoping import restrict
from ektp.devices.models import Breakdown, Device, Office


class LookOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete; rows limited to the user's region (fails closed)."""

    show_full_result_count = False

    def get_queryset(self, request):
        return restrict(request.user, roles.DEVICE_VIEW, super().get_queryset(request))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeviceInline(admin.TabularInline):
    model = Device
    fields = ("kind", "serial_number", "model_name", "status", "status_changed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class BreakdownInline(admin.TabularInline):
    model = Breakdown
    fields = ("reported_at", "reported_by", "description", "degraded_only",
              "repair_started_at", "repaired_at", "repair_note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Office)
class OfficeAdmin(LookOnlyAdmin):
    list_display = ("code", "name", "kind", "region", "prints_cards", "records_biometrics")
    list_filter = ("kind", "prints_cards", "records_biometrics")
    list_select_related = ("region",)
    search_fields = ("code", "name")
    readonly_fields = ("code", "name", "kind", "region", "prints_cards", "records_biometrics")
    inlines = [DeviceInline]


@admin.register(Device)
class DeviceAdmin(LookOnlyAdmin):
    list_display = ("serial_number", "kind", "model_name", "office", "status",
                    "status_changed_at")
    list_filter = ("kind", "status")
    list_select_related = ("office",)
    search_fields = ("=serial_number", "office__code")
    readonly_fields = ("office", "kind", "serial_number", "model_name", "status",
                       "status_changed_at")
    inlines = [BreakdownInline]


@admin.register(Breakdown)
class BreakdownAdmin(LookOnlyAdmin):
    list_display = ("reported_at", "device", "degraded_only", "repair_started_at",
                    "repaired_at", "description")
    list_filter = ("degraded_only",)
    list_select_related = ("device",)
    date_hierarchy = "reported_at"
    readonly_fields = ("device", "reported_at", "reported_by", "description", "degraded_only",
                       "repair_started_at", "repaired_at", "repair_note")
