"""Admin pages to look at campaigns, their entries and visits. They only look: lists are
drawn and visits recorded through the services (idempotent ids, conditional transitions, life
events in the register); rows are scoped to the user's region like the pages."""

from django.contrib import admin

from ektp.accounts import rules as roles
from ektp.accounts.scoping import restrict
from ektp.fieldwork.models import Campaign, Entry, Visit


class LookOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def get_queryset(self, request):
        return restrict(request.user, roles.FIELDWORK_VIEW, super().get_queryset(request))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(LookOnlyAdmin):
    list_display = ("name", "region", "source", "as_of", "closed_at")
    list_filter = ("source",)
    list_select_related = ("region",)


@admin.register(Entry)
class EntryAdmin(LookOnlyAdmin):
    list_display = ("campaign", "village", "outcome", "visits_count", "visited_at")
    list_filter = ("outcome",)
    list_select_related = ("campaign", "village")
    raw_id_fields = ("resident",)


@admin.register(Visit)
class VisitAdmin(LookOnlyAdmin):
    list_display = ("entry", "outcome", "visited_on", "officer", "recorded_at")
    list_filter = ("outcome",)
    list_select_related = ("entry__campaign", "officer")
    raw_id_fields = ("entry", "resident_event")
