"""Catalog reads on the streaming replica (see the catalog issue for the full behaviour)."""


class ReplicaRouter:
    """Sends nothing to the replica yet: every read and write goes to the primary."""

    def db_for_read(self, model, **hints) -> str:
        return "default"

    def db_for_write(self, model, **hints) -> str:
        return "default"
