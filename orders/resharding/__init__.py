"""Moving orders between servers, online: legacy (every order on the primary) -> shards, or logical
shards from one shard server to another. `manage.py migrate_to_shards` drives it.

- moves.py: the plan, the move's state machine (routers/models.py) and its locks.
- backfill.py: copying the moving logical shards' rows in batches, checkpointed, idempotent.
- verify.py: comparing source and target per logical shard, and the explicit cut-over.
- sql.py: the SQL they share (one spelling of the logical-shard expression, matching its index).
"""
