from django.contrib import admin

from ektp.dedup.models import DedupCandidate, ScanPair


@admin.register(DedupCandidate)
class DedupCandidateAdmin(admin.ModelAdmin):
    list_display = ("application", "matched_enrollment", "kind", "face_distance", "finger_score",
                    "demographic_match", "face_llr", "finger_llr", "demographic_llr",
                    "fused_llr", "outcome")
    list_filter = ("kind", "outcome")
    readonly_fields = list_display
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScanPair)
class ScanPairAdmin(admin.ModelAdmin):
    list_display = ("enrollment_a", "enrollment_b", "outcome", "fused_llr", "face_llr",
                    "finger_llr", "demographic_llr", "demographic_probability", "status",
                    "found_at")
    list_filter = ("status", "outcome")
    readonly_fields = list_display
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
