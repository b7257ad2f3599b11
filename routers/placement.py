"""The one registry of where each model's table lives, and the router that migrates accordingly.

Every model lives on the primary unless listed here. Order-side models live on every shard, and on
the primary too, which holds the legacy (unsharded) orders until `migrate_to_shards` cuts over (and
the catalog's own outbox).
"""

from enum import Enum

from django.conf import settings


class Placement(Enum):
    PRIMARY = "primary"
    ORDER_SHARDS = "order shards"


# "app_label.model_name" (lower case) -> placement. Unlisted models are on the primary.
MODEL_PLACEMENTS: dict[str, Placement] = {
    "outbox.outboxevent": Placement.ORDER_SHARDS,
    "orders.order": Placement.ORDER_SHARDS,
    "orders.orderline": Placement.ORDER_SHARDS,
}

PRIMARY_ALIAS = "default"
REPLICA_ALIAS = "replica"
SHARD_PREFIX = "shard_"


def placement_of(app_label: str, model_name: str | None) -> Placement:
    return MODEL_PLACEMENTS.get(f"{app_label}.{model_name}", Placement.PRIMARY)


def shard_aliases() -> list[str]:
    """The order shards' database aliases, in shard-map order."""
    return [alias for alias in settings.DATABASES if alias.startswith(SHARD_PREFIX)]


def writable_aliases() -> list[str]:
    """Every database that takes migrations: the primary and each shard, never the replica."""
    return [PRIMARY_ALIAS, *shard_aliases()]


def aliases_for(placement: Placement) -> list[str]:
    if placement is Placement.ORDER_SHARDS:
        return [PRIMARY_ALIAS, *shard_aliases()]
    return [PRIMARY_ALIAS]


class PlacementRouter:
    """Decides migrations only; reads and writes are the other routers' business."""

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool:
        return db in aliases_for(placement_of(app_label, model_name))
