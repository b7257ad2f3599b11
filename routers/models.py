"""Where orders are moving: the state of a `migrate_to_shards` run, on the primary, read by every
web process (routers/sharding.py) so they all route the same way during the move.

A move goes preparing -> backfilling -> verified -> cutting_over -> done:
- preparing: readers learn to look in the target as well as the source; writes still go to the source.
- backfilling: new orders of the moving logical shards go to the target; old ones are copied there.
  Reads look in the target first, then the source.
- verified: every moving logical shard matched (counts and checksums) when last compared.
- cutting_over: the target is authoritative (reads and writes); the moved rows are being deleted
  from the source.
- done: the target map is the settled layout.
"""

from django.db import models


class MoveState(models.TextChoices):
    PREPARING = "preparing"
    BACKFILLING = "backfilling"
    VERIFIED = "verified"
    CUTTING_OVER = "cutting_over"
    DONE = "done"


class ShardMove(models.Model):
    """One change of layout: every order of the logical shards whose alias differs between
    `source_map` and `target_map` moves. "legacy" as a map means every order on the primary."""

    source_map = models.TextField()
    target_map = models.TextField()
    state = models.CharField(max_length=14, choices=MoveState.choices, default=MoveState.PREPARING)
    watermark_id = models.BigIntegerField(
        null=True, help_text="Every order left on the source has a smaller id; every new one a larger id."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"move {self.id}: {self.source_map} -> {self.target_map} ({self.state})"


class ShardMoveProgress(models.Model):
    """The checkpoint of one contiguous range of moving logical shards (one source, one target):
    every order of the range with an id up to `copied_id` is on the target (batches go in id order)."""

    move = models.ForeignKey(ShardMove, on_delete=models.CASCADE, related_name="progress")
    first_logical = models.PositiveIntegerField()
    last_logical = models.PositiveIntegerField()
    source = models.CharField(max_length=40)
    target = models.CharField(max_length=40)
    copied_id = models.BigIntegerField(default=0)
    orders_copied = models.BigIntegerField(default=0)
    lines_copied = models.BigIntegerField(default=0)
    finished = models.BooleanField(default=False)

    class Meta:
        ordering = ["first_logical"]
        constraints = [models.UniqueConstraint(fields=["move", "first_logical"], name="move_progress_range_unique")]

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} logical {self.first_logical}-{self.last_logical}"
