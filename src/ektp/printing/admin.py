"""Admin pages to look at print jobs and hand-over checks. They only look: jobs start and end
through the services (claims, stock, history); rows are scoped like the API and the NIK is
shown masked."""

from django.contrib import admin

from ektp.accounts import rules as roles
from ektp.accounts.scoping import restrict
from ektp.printing.models import Handover, PrintJob
from ektp.residents.rules import mask_nik


class LookOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete; rows limited to the user's region (fails closed)."""

    action_name = roles.PRINT_VIEW
    show_full_result_count = False

    def get_queryset(self, request):
        return restrict(request.user, self.action_name, super().get_queryset(request))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="NIK")
    def masked_nik(self, obj):
        return mask_nik(obj.application.resident.nik)


@admin.register(PrintJob)
class PrintJobAdmin(LookOnlyAdmin):
    list_display = ("blank_serial", "masked_nik", "office", "printer", "status", "started_at",
                    "finished_at", "spoil_reason", "batch", "voided_at")
    list_filter = ("status", "spoil_reason")
    list_select_related = ("application__resident", "office", "printer")
    search_fields = ("=blank_serial", "=batch")
    date_hierarchy = "started_at"
    fields = ("blank_serial", "masked_nik", "application", "office", "printer", "operator",
              "status", "started_at", "finished_at", "spoil_reason", "batch", "voided_at")
    readonly_fields = fields


@admin.register(Handover)
class HandoverAdmin(LookOnlyAdmin):
    action_name = roles.CARD_HANDOVER
    list_display = ("at", "masked_nik", "modality", "score", "matched", "operator")
    list_filter = ("matched", "modality")
    list_select_related = ("application__resident", "operator")
    date_hierarchy = "at"
    fields = ("at", "masked_nik", "application", "modality", "score", "matched", "operator")
    readonly_fields = fields
