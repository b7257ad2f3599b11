from django.apps import AppConfig
from django.core import checks


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from routers.sharding import shard_map_check

        checks.register(shard_map_check)
