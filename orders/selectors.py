"""Reading orders: from the one shard an order or customer maps to, or from every shard for staff.

While `migrate_to_shards` moves a customer's logical shard, their orders are read from the target and
the source, the target's copy winning, until the move cuts over (routers.sharding.shards_for_*)."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import DatabaseError
from django.db.models import QuerySet
from django.utils import timezone

from marketplace.delivery import common_delivery_date
from marketplace.models import Farmer, Product
from orders.models import Customer, FarmerOrderLine, Order
from orders.services import MAX_BASKET_LINES, MAX_LINE_QUANTITY, REFERENCE_ALPHABET, REFERENCE_LENGTH
from routers.placement import PRIMARY_ALIAS
from routers.sharding import all_shards, shards_for_customer, shards_for_order

PLACED_IN_SESSION = "orders_placed"


@dataclass(frozen=True)
class QuoteLine:
    product_id: int
    name: str
    unit: str
    farm: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class Quote:
    """What the basket would cost and when it would come; `problems` say what stops it ordering."""

    lines: list[QuoteLine]
    problems: list[str]
    total: Decimal
    delivery_date: dt.date | None


def basket_quote(*, cart: dict[int, int]) -> Quote:
    """Price the session cart from the primary (checkout must see the latest prices and stock)."""
    problems: list[str] = []
    if not cart:
        return Quote(lines=[], problems=["Your basket is empty."], total=Decimal("0.00"), delivery_date=None)
    if len(cart) > MAX_BASKET_LINES:
        problems.append(f"A basket holds at most {MAX_BASKET_LINES} different products.")
    products = Product.objects.using(PRIMARY_ALIAS).select_related("farmer").in_bulk(list(cart))
    lines = []
    for product_id, quantity in sorted(cart.items()):
        product = products.get(product_id)
        if product is None or not product.is_active:
            name = product.name if product is not None else "A product in your basket"
            problems.append(f"{name} is no longer available; please remove it from your basket.")
            continue
        if not 1 <= quantity <= MAX_LINE_QUANTITY:
            problems.append(f"{product.name}: quantities must be between 1 and {MAX_LINE_QUANTITY}.")
        elif quantity > product.stock:
            problems.append(f"Only {product.stock} of {product.name} left (you asked for {quantity}).")
        price = product.price
        lines.append(
            QuoteLine(
                product.id, product.name, product.unit, product.farmer.farm_name, quantity, price, price * quantity
            )
        )
    farms = {p.farmer_id: p.farmer for p in products.values() if p.is_active}
    delivery_date = None
    if farms:
        try:
            delivery_date = common_delivery_date(
                now=timezone.localtime(), farms=[(f.order_cutoff, f.delivery_days) for f in farms.values()]
            )
        except ValueError:
            problems.append("The farms in your basket share no delivery day; please order from them separately.")
    return Quote(lines, problems, sum((line.line_total for line in lines), Decimal("0.00")), delivery_date)


def customer_of_user(*, user: AbstractBaseUser) -> Customer | None:
    if not user.is_authenticated:
        return None
    return Customer.objects.filter(user=user).first()


def order_history(*, customer: Customer) -> Sequence[Order]:
    """The customer's orders, newest first, from the customer's shard (a lazy queryset), or during a
    move of that shard the merge of target and source (each order once)."""
    aliases = shards_for_customer(customer.id)
    found = [_customer_orders(alias, customer) for alias in aliases]
    if len(found) == 1:
        return found[0]
    return sorted(_each_once(found), key=lambda order: (order.placed_at, order.id), reverse=True)


def _customer_orders(alias: str, customer: Customer) -> QuerySet[Order]:
    return Order.objects.using(alias).filter(customer_id=customer.id).order_by("-placed_at")


def _each_once(groups: list) -> list[Order]:
    """Orders from several servers, each id once, the first server's copy winning."""
    seen: dict[int, Order] = {}
    for orders in groups:
        for order in orders:
            seen.setdefault(order.id, order)
    return list(seen.values())


def order_get(*, order_id: int) -> Order | None:
    """One order by id, with one query on the shard the id names (two during a move)."""
    return _first_found(order_id, Order.objects.filter(id=order_id))


def _first_found(order_id: int, orders: QuerySet[Order]) -> Order | None:
    for alias in shards_for_order(order_id):
        if (order := orders.using(alias).first()) is not None:
            return order
    return None


def order_count(*, using: str) -> int:
    """How many orders database `using` holds: a shard's, or the primary's legacy (unsharded) ones."""
    return Order.objects.using(using).count()


def _valid_reference(reference: str) -> bool:
    return len(reference) == REFERENCE_LENGTH and set(reference) <= set(REFERENCE_ALPHABET)


def order_for_viewer(*, reference: str, user: AbstractBaseUser, session: SessionBase) -> Order | None:
    """The order with this reference if this visitor may see it: it is the signed-in customer's, or
    it was placed in this browser session (a guest's confirmation). Anyone else gets None."""
    if not _valid_reference(reference):
        return None
    customer = customer_of_user(user=user)
    if customer is not None:
        for alias in shards_for_customer(customer.id):
            found = _customer_orders(alias, customer).filter(reference=reference).prefetch_related("lines").first()
            if found is not None:
                return found
    order_id = session.get(PLACED_IN_SESSION, {}).get(reference)
    if order_id is None:
        return None
    return _first_found(order_id, Order.objects.prefetch_related("lines").filter(id=order_id))


@dataclass(frozen=True)
class DeliveryDay:
    """One delivery day's orders from every shard; `unreachable` names the shards that did not
    answer, whose orders are missing from `orders`."""

    orders: list[Order]
    unreachable: list[str]


def orders_for_delivery_date(*, day: dt.date) -> DeliveryDay:
    """Staff view of one delivery day: every shard asked in turn, results merged by placing time.
    A shard that is down is named in the result, not fatal: staff still see the others' orders."""
    found, unreachable = [], []
    for alias in all_shards():
        try:
            found.append(list(Order.objects.using(alias).filter(delivery_date=day).prefetch_related("lines")))
        except DatabaseError:
            unreachable.append(alias)
    return DeliveryDay(
        orders=sorted(_each_once(found), key=lambda order: (order.placed_at, order.id)), unreachable=unreachable
    )


def farmer_order_lines(*, farmer: Farmer, delivery_date: dt.date | None = None) -> QuerySet[FarmerOrderLine]:
    """What this farmer must pick and pack, from the primary's read model (no shard is asked)."""
    lines = FarmerOrderLine.objects.filter(farmer=farmer)
    return lines.filter(delivery_date=delivery_date) if delivery_date else lines
