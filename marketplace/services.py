"""Catalog writes: farmers' accounts and stock adjustments. All of them go to the primary."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.text import slugify

from events.contracts import StockChanged
from marketplace.models import Farmer, Product
from marketplace.stock import stock_adjust
from outbox.services import outbox_record
from routers.placement import PRIMARY_ALIAS
from routers.replica import pin_this_request

FARMERS_GROUP = "Farmers"
# What a farmer may do in the admin; the admin narrows each to the farmer's own rows.
FARMER_PERMISSIONS = {
    "product": ("view", "add", "change"),
    "productimage": ("view", "add", "change", "delete"),
    "farmer": ("view", "change"),
}


def farmer_group_ensure() -> Group:
    """The "Farmers" group, holding exactly the permissions farmers need (run after migrations)."""
    group, _ = Group.objects.get_or_create(name=FARMERS_GROUP)
    codenames = [f"{action}_{model}" for model, actions in FARMER_PERMISSIONS.items() for action in actions]
    group.permissions.set(Permission.objects.filter(content_type__app_label="marketplace", codename__in=codenames))
    return group


@transaction.atomic
def farmer_register(
    *,
    username: str,
    email: str,
    password: str | None,
    farm_name: str,
    town: str,
    story: str = "",
    slug: str | None = None,
) -> Farmer:
    """A farmer's admin account (staff, in the Farmers group) and farm profile, created together.
    A `password` of None leaves the account unable to log in until a password is set."""
    user = get_user_model().objects.create_user(username=username, email=email, password=password, is_staff=True)
    user.groups.add(farmer_group_ensure())
    slug = slug or slugify(farm_name)
    return Farmer.objects.create(user=user, farm_name=farm_name, slug=slug, town=town, story=story)


def product_stock_adjust(*, product_id: int, by: int) -> int:
    """Add `by` units to a product's stock (negative to take) with the stock module's guarded
    adjustment, so that a concurrent checkout's take is never lost, and return the new stock.

    Stock never goes below zero: an adjustment that would take it there changes nothing and raises
    InsufficientStock. The farmer who adjusts is pinned to the primary, to see the new figure. The
    `stock_changed` event (for the farm's warehouse) commits with the adjustment, or neither does."""
    pin_this_request()
    with transaction.atomic(using=PRIMARY_ALIAS):
        stock_adjust(product_id=product_id, by=by)
        product = Product.objects.only("farmer_id", "name", "unit", "stock").get(pk=product_id)
        outbox_record(
            using=PRIMARY_ALIAS,
            event_type=StockChanged.EVENT_TYPE,
            key=f"product:{product_id}",
            payload={
                "product_id": product.id,
                "farmer_id": product.farmer_id,
                "name": product.name,
                "unit": product.unit,
                "quantity_delta": by,
                "stock": product.stock,
            },
        )
        return product.stock
