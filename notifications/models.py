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


class Delivery(models.Model):
    """One notification that left us: written the moment the mail server or SMS provider took it,
    so an event handled again (after a crash) sends only what has no record yet."""

    class Channel(models.TextChoices):
        EMAIL = "email"
        SMS = "sms"

    event_id = models.UUIDField(db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    idempotency_key = models.CharField(
        max_length=200,
        unique=True,
        help_text="What the receiver deduplicates by: the mail's Message-ID, the SMS's Idempotency-Key.",
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} for {self.event_id}"
