"""Text messages the recording SMS provider kept instead of sending (development and tests)."""

from django.db import models
from django.utils import timezone


class RecordedSms(models.Model):
    to = models.CharField(max_length=32)
    body = models.TextField()
    idempotency_key = models.CharField(max_length=120, unique=True, help_text="One message per key.")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at"]
        verbose_name = "recorded SMS"
        verbose_name_plural = "recorded SMS"

    def __str__(self) -> str:
        return f"to {self.to}: {self.body[:40]}"
