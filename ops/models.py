"""The recent-errors ring: the last ERROR log records of every process, for the ops page."""

from django.db import models
from django.utils import timezone

RING_SIZE = 200


class RecentError(models.Model):
    logged_at = models.DateTimeField(default=timezone.now)
    service = models.CharField(max_length=60, help_text="The process that logged it (web, relay, a consumer).")
    logger = models.CharField(max_length=200)
    message = models.TextField()
    trace_id = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.logged_at:%H:%M:%S} {self.logger}: {self.message[:60]}"
