from django.contrib import admin

from notifications.models import RecordedSms


@admin.register(RecordedSms)
class RecordedSmsAdmin(admin.ModelAdmin):
    list_display = ["recorded_at", "to", "body"]
    readonly_fields = ["to", "body", "idempotency_key", "recorded_at"]
