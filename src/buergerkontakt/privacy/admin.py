from django.contrib import admin

from buergerkontakt.core.admin_scope import ScopedAdminMixin

from .models import PrivacyNotice


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The authority's own Art. 13 texts (one per processing and language); the citizens' requests
    are worked on in the DPO's queue, not here."""

    list_display = ("authority", "processing", "language", "updated_at")
    list_filter = ("processing", "language")
