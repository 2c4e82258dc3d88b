from django.contrib import admin

from ektp.dedup.models import DedupCandidate


@admin.register(DedupCandidate)
class DedupCandidateAdmin(admin.ModelAdmin):
    list_display = ("application", "matched_enrollment", "kind", "face_distance", "finger_score",
                    "demographic_match", "outcome")
    list_filter = ("kind", "outcome")
    readonly_fields = list_display
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
