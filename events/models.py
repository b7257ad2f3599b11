"""What the consumers have done: one row per (consumer group, event id), written in the same primary
transaction as the handler's own writes, so an event redelivered by Kafka takes effect once."""

from django.db import models
from django.utils import timezone


class ProcessedEvent(models.Model):
    group = models.CharField(max_length=60, help_text="The consumer group that handled the event.")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=60)
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "event_id"], name="processed_event_once_per_group")]

    def __str__(self) -> str:
        return f"{self.group}: {self.event_type} {self.event_id}"
