from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_farmers_group(sender, using: str, **kwargs) -> None:
    from marketplace.services import farmer_group_ensure
    from routers.placement import PRIMARY_ALIAS

    if using == PRIMARY_ALIAS:
        farmer_group_ensure()


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Catalog"

    def ready(self) -> None:
        # After auth has created this app's permissions (auth's handler is connected first).
        post_migrate.connect(_ensure_farmers_group, sender=self, dispatch_uid="marketplace.farmers_group")
