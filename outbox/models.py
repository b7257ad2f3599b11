"""The transactional outbox. Its table lives on every server that makes events: each order shard
(order events, written with the order) and the primary (catalog events, written with the stock
change). The relay publishes unpublished rows to Kafka and then marks them published."""

import uuid

from django.db import models
from django.utils import timezone

ORDER_EVENTS_TOPIC = "order_events"


class OutboxEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="The event id.")
    topic = models.CharField(max_length=100, default=ORDER_EVENTS_TOPIC)
    key = models.CharField(
        max_length=100, help_text="Kafka message key: one order's events share it, so stay in order."
    )
    event_type = models.CharField(max_length=60)
    payload = models.JSONField()
    headers = models.JSONField(default=dict, help_text="Extra message headers, such as the trace context.")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_unpublished_idx", condition=models.Q(published_at__isnull=True)
            ),
            models.Index(fields=["published_at"], name="outbox_published_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.key}"
