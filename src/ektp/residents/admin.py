"""Admin pages to look at families and residents. They only look: every write goes through the
services so it gets its history and audit rows. Lists mask the NIK and KK number, rows are
scoped like the API, and opening a full record is audited."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.utils.translation import gettext_lazy as _

from ektp.accounts.rules import RESIDENT_VIEW
from ektp.accounts.scoping import restrict
from ektp.audit.services import audit_record
from ektp.residents.models import Family, Resident, ResidentEvent
from ektp.residents.rules import mask_nik


class LookOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete; rows limited to the operator's region (fails closed)."""

    show_full_result_count = False  # a COUNT(*) over the whole register on every page

    def get_queryset(self, request):
        return restrict(request.user, RESIDENT_VIEW, super().get_queryset(request))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MemberInline(admin.TabularInline):
    model = Resident
    fields = ("masked_nik", "name", "relationship", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description="NIK")
    def masked_nik(self, obj):
        return mask_nik(obj.nik)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Family)
class FamilyAdmin(LookOnlyAdmin):
    list_display = ("masked_kk", "village", "address", "rt", "rw", "created_at")
    list_select_related = ("village",)
    search_fields = ("=kk_number", "address")
    inlines = (MemberInline,)

    @admin.display(description=_("nomor KK"), ordering="kk_number")
    def masked_kk(self, obj):
        return mask_nik(obj.kk_number)


class EventInline(admin.TabularInline):
    model = ResidentEvent
    fields = ("at", "kind", "actor", "site", "changes", "document_type", "document_ref")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Resident)
class ResidentAdmin(LookOnlyAdmin):
    list_display = ("masked_nik", "name", "birth_date", "sex", "status", "village")
    list_select_related = ("family",)
    list_filter = ("status", "sex")
    # NIK only exact: a partial NIK search would let anyone enumerate the register.
    search_fields = ("=nik", "name")
    inlines = (EventInline,)

    @admin.display(description="NIK", ordering="nik")
    def masked_nik(self, obj):
        return mask_nik(obj.nik)

    @admin.display(description=_("desa/kelurahan"), ordering="family__village_id")
    def village(self, obj):
        return obj.family.village_id

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        resident = self.get_object(request, unquote(object_id))
        if request.method == "GET" and response.status_code == 200 and resident is not None:
            audit_record(actor=request.user, action="read", obj=resident, nik=resident.nik,
                         purpose="admin")
        return response
