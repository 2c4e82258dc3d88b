from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from ektp.accounts.models import User


@admin.register(User)
class OperatorAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("e-KTP", {"fields": ("role", "region")}),)
    list_display = ("username", "role", "region", "is_active")
    list_filter = ("role", "is_active")
    autocomplete_fields = ("region",)
