"""The OrderRouter: order-side models go to the shard chosen for them, never to a default."""

from routers.placement import Placement, placement_of


class UnroutedOrderQuery(RuntimeError):
    """An order-side model was read or written without choosing a shard (`.using(alias)`)."""


class OrderRouter:
    def _check(self, model) -> None:
        if placement_of(model._meta.app_label, model._meta.model_name) is Placement.ORDER_SHARDS:
            raise UnroutedOrderQuery(f"{model._meta.label} needs a shard: query it with .using(<shard alias>)")

    def db_for_read(self, model, **hints) -> None:
        self._check(model)

    def db_for_write(self, model, **hints) -> None:
        self._check(model)
