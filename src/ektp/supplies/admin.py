"""Admin pages to look at the stock. They only look: the ledger is append-only and every change
goes through the services, so balances always equal the sum of their ledger rows."""

from django.contrib import admin

from ektp.accounts.rules import SUPPLIES_VIEW
from ektp.accounts.scoping import restrict
from ektp.supplies.models import (
    BlankCard,
    Destruction,
    InvalidCard,
    StockBalance,
    StockMovement,
    StockRequest,
)


class LookOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete; rows limited to the user's region (fails closed)."""

    show_full_result_count = False

    def get_queryset(self, request):
        return restrict(request.user, SUPPLIES_VIEW, super().get_queryset(request))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(LookOnlyAdmin):
    list_display = ("at", "office", "item", "earmark", "kind", "quantity", "reference",
                    "counterpart", "actor")
    list_filter = ("item", "kind", "earmark")
    list_select_related = ("office", "counterpart", "actor")
    search_fields = ("reference", "note", "office__code")
    date_hierarchy = "at"


@admin.register(StockBalance)
class StockBalanceAdmin(LookOnlyAdmin):
    list_display = ("office", "item", "earmark", "quantity")
    list_filter = ("item", "earmark")
    list_select_related = ("office",)


@admin.register(BlankCard)
class BlankCardAdmin(LookOnlyAdmin):
    list_display = ("serial", "office", "earmark", "status", "received_at")
    list_filter = ("status", "earmark")
    list_select_related = ("office",)
    search_fields = ("=serial",)


@admin.register(StockRequest)
class StockRequestAdmin(LookOnlyAdmin):
    list_display = ("sent_at", "office", "item", "quantity", "received_quantity",
                    "letter_number")
    list_filter = ("item",)
    list_select_related = ("office",)


@admin.register(InvalidCard)
class InvalidCardAdmin(LookOnlyAdmin):
    # The holder's NIK is personal data: not listed, not searchable here.
    list_display = ("serial", "office", "reason", "booked_at", "destruction")
    exclude = ("nik",)
    list_filter = ("reason",)
    list_select_related = ("office", "destruction")
    search_fields = ("=serial",)


@admin.register(Destruction)
class DestructionAdmin(LookOnlyAdmin):
    list_display = ("ba_number", "office", "at", "actor")
    list_select_related = ("office", "actor")
    search_fields = ("=ba_number",)
