"""Placing orders: stock on the primary, the order on the customer's shard.

Why reservations, compensation and a reconcile step, and not two-phase commit: stock and orders live
on different servers, so no single transaction covers both. PostgreSQL's PREPARE TRANSACTION would,
but a prepared transaction left by a crashed web worker keeps its row locks (on the hottest product
rows) until an operator or a recovery daemon resolves it, and every shard would need
max_prepared_transactions and that daemon. Instead `order_place` runs three short local steps:

  1. primary: lock the basket's products in pk order, check them, take the stock with a guarded
     UPDATE, and record a StockReservation (expiring, keyed by the new order id);
  2. the customer's shard: the order, its lines (product data copied) and its `order_placed` outbox
     row, which commit together or not at all;
  3. primary: write the farmers' read model and confirm the reservation (each idempotent).

Every crash point leaves a state that can be settled: before 1 commits nothing happened; between 1
and 2 a reservation holds stock for an order that does not exist (reconcile gives it back once the
reservation expires); between 2 and 3 the order exists with its stock held (reconcile confirms it).
When the shard refuses step 2 outright, step 1 is compensated at once, so a shard being down never
keeps stock reserved. The shopper is answered only after step 2.
"""

import datetime as dt
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from marketplace.cart import MAX_LINE_QUANTITY
from marketplace.delivery import common_delivery_date
from marketplace.stock import InsufficientStock, stock_release, stock_take
from orders.lock_objects import products_lock_for_checkout
from orders.models import (
    Customer,
    FarmerOrderLine,
    Order,
    OrderLine,
    PickupPoint,
    ReservationStatus,
    StockReservation,
)
from outbox.services import outbox_record
from routers.placement import PRIMARY_ALIAS
from routers.sharding import order_slot_new
from urbanharvest import telemetry

logger = logging.getLogger(__name__)

MAX_BASKET_LINES = 50
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
REFERENCE_LENGTH = 12
CENTS = Decimal("0.01")


class CheckoutRefused(Exception):
    """The basket cannot be ordered as it stands; the message says why, for the shopper."""


class ShardUnavailable(Exception):
    """The customer's order shard did not take the order; the shopper should try again shortly."""


class OrderInProgress(Exception):
    """A replayed submit whose first attempt is still being written."""


class _ReservationExpiring(Exception):
    """Step 2 ran so late that reconcile may be about to give its stock back: do not commit."""


@dataclass(frozen=True)
class BasketLine:
    product_id: int
    quantity: int
    unit_price: Decimal = field(metadata={"doc": "the price the shopper was shown"})


@dataclass(frozen=True)
class DeliveryDetails:
    email: str
    phone: str
    address: str = ""
    pickup_point: str = ""


@dataclass(frozen=True)
class PlacedOrder:
    order_id: int
    reference: str
    replayed: bool = False


def reservation_lifetime() -> dt.timedelta:
    return dt.timedelta(seconds=settings.ORDER_RESERVATION_SECONDS)


def basket_check(*, lines: list[BasketLine]) -> None:
    """Refuse baskets no shopper could have made (empty, repeated products, out-of-range quantities)."""
    if not lines:
        raise CheckoutRefused("Your basket is empty.")
    if len(lines) > MAX_BASKET_LINES:
        raise CheckoutRefused(f"A basket holds at most {MAX_BASKET_LINES} different products.")
    if len({line.product_id for line in lines}) != len(lines):
        raise CheckoutRefused("Your basket lists a product twice; please review it.")
    for line in lines:
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            raise CheckoutRefused(f"Quantities must be between 1 and {MAX_LINE_QUANTITY}.")


def delivery_check(*, delivery: DeliveryDetails) -> None:
    if bool(delivery.address.strip()) == bool(delivery.pickup_point):
        raise CheckoutRefused("Choose either a delivery address or a pickup point.")
    if delivery.pickup_point and delivery.pickup_point not in PickupPoint.values:
        raise CheckoutRefused("That pickup point does not exist.")


def order_place(
    *,
    customer: Customer,
    lines: list[BasketLine],
    delivery: DeliveryDetails,
    idempotency_key: uuid.UUID,
    delivery_date_shown: dt.date | None = None,
) -> PlacedOrder:
    """Place one order, exactly once per idempotency key.

    Invariants: stock never goes below zero and every accepted order holds its stock; the order and
    its `order_placed` event commit together; a replayed submit returns the first attempt's order.
    Raises CheckoutRefused (nothing changed), ShardUnavailable (nothing left reserved, except when
    the shard failed during its COMMIT, which reconcile settles) or OrderInProgress.
    """
    basket_check(lines=lines)
    delivery_check(delivery=delivery)
    # A replayed submit is found by the reservation's unique idempotency key when step 1 inserts its
    # own (and rolls back), not by a lookup every checkout would pay for; one refused (say its
    # first attempt took the last units) looks for its first attempt before saying why.
    try:
        with telemetry.step_span("reserve stock", {"order.lines": len(lines)}):
            reservation, order = _stock_reserve(customer, lines, delivery, idempotency_key, delivery_date_shown)
    except (IntegrityError, CheckoutRefused) as refused:
        if (earlier := _reservation_for_key(customer, idempotency_key)) is None:
            raise
        logger.info("replayed checkout %s (%s)", idempotency_key, type(refused).__name__)
        return _replay(earlier)
    with telemetry.step_span("write order", {"order.id": order.id, "order.shard": reservation.shard}):
        _order_write(reservation, order)
    try:
        with telemetry.step_span("confirm reservation", {"order.id": order.id}):
            reservation_confirm(reservation=reservation, order=order)
    except DatabaseError:
        logger.exception("order %s placed but not confirmed; reconcile_orders will confirm it", order.id)
    return PlacedOrder(order_id=order.id, reference=order.reference)


def _reservation_for_key(customer: Customer, key: uuid.UUID) -> StockReservation | None:
    return StockReservation.objects.filter(customer=customer, idempotency_key=key).first()


def _replay(reservation: StockReservation) -> PlacedOrder:
    placed = PlacedOrder(order_id=reservation.order_id, reference=reservation.reference, replayed=True)
    if reservation.status == ReservationStatus.CONFIRMED:
        return placed
    try:
        written = Order.objects.using(reservation.shard).filter(id=reservation.order_id).exists()
    except DatabaseError as exc:
        raise ShardUnavailable(reservation.shard) from exc
    if written:
        return placed
    raise OrderInProgress(reservation.reference)


def _stock_reserve(
    customer: Customer,
    lines: list[BasketLine],
    delivery: DeliveryDetails,
    idempotency_key: uuid.UUID,
    delivery_date_shown: dt.date | None,
) -> tuple[StockReservation, Order]:
    """Step 1. Returns the reservation and the (unsaved) order it reserves stock for."""
    now = timezone.now()
    with transaction.atomic(using=PRIMARY_ALIAS):
        shard, order_id = order_slot_new(customer_id=customer.id)
        products = {p.id: p for p in products_lock_for_checkout(product_ids=[line.product_id for line in lines])}
        for line in lines:
            _line_check(line, products.get(line.product_id))
        delivery_date = common_delivery_date(
            now=timezone.localtime(now),
            farms=[(p.farmer.order_cutoff, p.farmer.delivery_days) for p in products.values()],
        )
        if delivery_date_shown is not None and delivery_date != delivery_date_shown:
            raise CheckoutRefused(f"The earliest delivery date is now {delivery_date:%A %d %B}; please review.")
        try:
            stock_take(quantities={line.product_id: line.quantity for line in lines})
        except InsufficientStock:
            raise CheckoutRefused("Some products sold out while you were checking out; please review.") from None
        order_lines = [_order_line(line, products[line.product_id]) for line in lines]
        order = Order(
            id=order_id,
            reference=_reference_new(),
            customer_id=customer.id,
            email=delivery.email.strip().lower(),
            phone=delivery.phone.strip(),
            delivery_address=delivery.address.strip(),
            pickup_point=delivery.pickup_point,
            delivery_date=delivery_date,
            total=sum((ol.line_total for ol in order_lines), Decimal("0.00")),
            placed_at=now,
        )
        order.pending_lines = order_lines
        reservation = StockReservation.objects.create(
            order_id=order.id,
            customer=customer,
            shard=shard,
            reference=order.reference,
            idempotency_key=idempotency_key,
            lines=[_line_payload(ol) for ol in order_lines],
            expires_at=now + reservation_lifetime(),
        )
    return reservation, order


def _line_check(line: BasketLine, product) -> None:
    if product is None or not product.is_active:
        name = product.name if product is not None else "A product in your basket"
        raise CheckoutRefused(f"{name} is no longer available; please remove it from your basket.")
    if product.price != line.unit_price:
        raise CheckoutRefused(
            f"The price of {product.name} changed from ${line.unit_price} to ${product.price}; please review."
        )
    if product.stock < line.quantity:
        raise CheckoutRefused(
            f"Only {product.stock} of {product.name} left (you asked for {line.quantity}); please review."
        )


def _order_line(line: BasketLine, product) -> OrderLine:
    return OrderLine(
        product_id=product.id,
        farmer_id=product.farmer_id,
        name=product.name,
        unit=product.unit,
        quantity=line.quantity,
        unit_price=product.price,
        line_total=(product.price * line.quantity).quantize(CENTS),
    )


def _reference_new() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _order_write(reservation: StockReservation, order: Order) -> None:
    """Step 2, on the shard. If the shard refuses before COMMIT, step 1 is undone at once."""
    alias = reservation.shard
    committing = False
    try:
        with transaction.atomic(using=alias):
            order.save(using=alias, force_insert=True)
            for line in order.pending_lines:
                line.order = order
            OrderLine.objects.using(alias).bulk_create(order.pending_lines)
            outbox_record(using=alias, event_type="order_placed", key=str(order.id), payload=order_payload(order))
            # Reconcile releases reservations once they expire; committing this late could give an
            # order whose stock was already handed back.
            if timezone.now() > reservation.expires_at - reservation_lifetime() / 3:
                raise _ReservationExpiring(order.id)
            committing = True
    except (DatabaseError, _ReservationExpiring) as exc:
        if committing:
            # The COMMIT itself failed: it may have landed. Only the shard can tell, so the
            # reservation stays for reconcile_orders, which looks there before giving stock back.
            logger.warning("commit of order %s on %s failed; left for reconcile_orders", order.id, alias)
        else:
            reservation_release(order_id=reservation.order_id)
        raise ShardUnavailable(alias) from exc


def order_payload(order: Order) -> dict:
    """The `order_placed` event, exactly as the event consumers expect it."""
    return {
        "order_id": order.id,
        "reference": order.reference,
        "customer_id": order.customer_id,
        "email": order.email,
        "phone": order.phone,
        "delivery_date": order.delivery_date.isoformat(),
        "placed_at": order.placed_at.isoformat(),
        "total": str(order.total),
        "lines": [_line_payload(line) for line in order.pending_lines],
    }


def _line_payload(line: OrderLine) -> dict:
    return {
        "product_id": line.product_id,
        "farmer_id": line.farmer_id,
        "name": line.name,
        "unit": line.unit,
        "quantity": line.quantity,
        "unit_price": str(line.unit_price),
        "line_total": str(line.line_total),
    }


def reservation_confirm(*, reservation: StockReservation, order: Order) -> None:
    """Step 3: the order exists on its shard, so its stock stays taken; farmers now see its lines.

    Two statements, no transaction around them: the farmers' lines go first and are idempotent, and
    a reservation still `reserved` after a crash between the two is confirmed again by reconcile
    (its order exists), so every crash point converges on the same rows.
    """
    lines = getattr(order, "pending_lines", None) or list(order.lines.all())
    FarmerOrderLine.objects.bulk_create(
        [
            FarmerOrderLine(
                farmer_id=line.farmer_id,
                order_id=order.id,
                reference=order.reference,
                product_id=line.product_id,
                name=line.name,
                unit=line.unit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.line_total,
                delivery_date=order.delivery_date,
                pickup_point=order.pickup_point,
                placed_at=order.placed_at,
            )
            for line in lines
        ],
        ignore_conflicts=True,
    )
    StockReservation.objects.filter(order_id=reservation.order_id, status=ReservationStatus.RESERVED).update(
        status=ReservationStatus.CONFIRMED, settled_at=timezone.now()
    )


def reservation_release(*, order_id: int) -> bool:
    """Give a reservation's stock back, once: only while it is still `reserved`. The order must be
    known not to exist on its shard. Returns whether stock was given back."""
    with transaction.atomic(using=PRIMARY_ALIAS):
        reservation = StockReservation.objects.select_for_update().filter(order_id=order_id).first()
        if reservation is None or reservation.status != ReservationStatus.RESERVED:
            return False
        stock_release(quantities={line["product_id"]: line["quantity"] for line in reservation.lines})
        reservation.status = ReservationStatus.RELEASED
        reservation.idempotency_key = None
        reservation.settled_at = timezone.now()
        reservation.save(update_fields=["status", "idempotency_key", "settled_at"])
    return True


@dataclass
class ReconcileReport:
    confirmed: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    unreachable: list[int] = field(default_factory=list)


def reservations_reconcile(*, dry_run: bool = False) -> ReconcileReport:
    """Settle reservations a crash left open: order present on its shard -> confirm; absent after
    the reservation expired -> give the stock back; shard unreachable -> leave it (we cannot know)."""
    report = ReconcileReport()
    now = timezone.now()
    open_reservations = list(StockReservation.objects.filter(status=ReservationStatus.RESERVED).order_by("created_at"))
    for alias in sorted({r.shard for r in open_reservations}):
        on_shard = [r for r in open_reservations if r.shard == alias]
        try:
            orders = Order.objects.using(alias).prefetch_related("lines").in_bulk([r.order_id for r in on_shard])
        except DatabaseError:
            report.unreachable += [r.order_id for r in on_shard]
            continue
        for reservation in on_shard:
            if reservation.order_id in orders:
                report.confirmed.append(reservation.order_id)
                if not dry_run:
                    reservation_confirm(reservation=reservation, order=orders[reservation.order_id])
            elif reservation.expires_at <= now:
                report.released.append(reservation.order_id)
                if not dry_run:
                    reservation_release(order_id=reservation.order_id)
            else:
                report.pending.append(reservation.order_id)
    return report


def customer_for_checkout(*, user: AbstractBaseUser | None, email: str, phone: str = "") -> Customer:
    """The customer an order is placed for: the signed-in user's, or for a guest the customer with
    this email (created on first order, and linked to an account registered with it later)."""
    if user is not None and user.is_authenticated:
        return customer_for_user(user=user)
    customer, _ = Customer.objects.get_or_create(email=email.strip().lower(), defaults={"phone": phone.strip()})
    return customer


def customer_for_user(*, user: AbstractBaseUser) -> Customer:
    if (customer := Customer.objects.filter(user=user).first()) is not None:
        return customer
    customer, _ = Customer.objects.get_or_create(email=user.email.strip().lower())
    if customer.user_id not in (None, user.pk):
        raise CheckoutRefused("Your account's email belongs to another account; please contact us.")
    if customer.user_id is None:
        customer.user = user
        customer.save(update_fields=["user"])
    return customer


def customer_register(*, email: str, password: str, name: str = "") -> AbstractBaseUser:
    """Create a shopper's account; past guest orders with that email become theirs."""
    email = email.strip().lower()
    with transaction.atomic(using=PRIMARY_ALIAS):
        user = get_user_model().objects.create_user(username=email, email=email, password=password, first_name=name)
        customer, _ = Customer.objects.get_or_create(email=email, defaults={"name": name})
        if customer.user_id is None:
            customer.user = user
            customer.name = customer.name or name
            customer.save(update_fields=["user", "name"])
    return user
