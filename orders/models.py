"""Customers and their orders.

Where each table lives (routers/placement.py): Customer, StockReservation and FarmerOrderLine on the
primary, beside the stock they coordinate with; Order and OrderLine on the customer's shard (and on the
primary for legacy, unsharded orders). Nothing joins across servers, so order-side rows hold plain ids
of primary-side rows, never foreign keys, and an order line copies the product data it needs.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class Customer(models.Model):
    """A shopper. Guests are customers without a user; registering later links the same row by email."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    email = models.EmailField(unique=True, help_text="Stored lower-cased: one customer per address.")
    name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email


class PickupPoint(models.TextChoices):
    MARKET_HALL = "market-hall", "Market Hall, 12 Front St"
    NORTH_DEPOT = "north-depot", "North Depot, 400 Elm Ave"


class ReservationStatus(models.TextChoices):
    RESERVED = "reserved"
    CONFIRMED = "confirmed"
    RELEASED = "released"


class StockReservation(models.Model):
    """Stock taken for an order that is being written to its shard (see orders/services.py).

    `reserved` until the order is known to exist on its shard (then `confirmed`), or known not to
    (then `released`, with its stock given back). `reconcile_orders` settles the ones a crash left.
    """

    order_id = models.BigIntegerField(primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="reservations")
    shard = models.CharField(max_length=40, help_text="The database alias the order is written to.")
    reference = models.CharField(max_length=20)
    idempotency_key = models.UUIDField(
        null=True, blank=True, help_text="The checkout form's key; cleared on release so a retry may reuse it."
    )
    lines = models.JSONField(help_text="The order's lines as written to the shard (product data copied).")
    status = models.CharField(max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.RESERVED)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "idempotency_key"], name="reservation_idempotency_key_unique")
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="reservation_open_idx",
                condition=models.Q(status="reserved"),
            )
        ]

    def __str__(self) -> str:
        return f"reservation for order {self.order_id} ({self.status})"


class OrderStatus(models.TextChoices):
    PLACED = "placed"
    CANCELLED = "cancelled"


class Order(models.Model):
    """One shopper's order; its id encodes its logical shard (routers/sharding.py)."""

    id = models.BigIntegerField(primary_key=True)
    reference = models.CharField(max_length=20, unique=True, help_text="Random; what the shopper sees.")
    customer_id = models.BigIntegerField(db_index=True)
    email = models.EmailField()
    phone = models.CharField(max_length=32)
    delivery_address = models.TextField(blank=True)
    pickup_point = models.CharField(max_length=20, choices=PickupPoint.choices, blank=True)
    delivery_date = models.DateField()
    total = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    placed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["customer_id", "-placed_at"], name="order_customer_history_idx"),
            models.Index(fields=["delivery_date"], name="order_delivery_date_idx"),
            models.Index(fields=["placed_at"], name="order_placed_at_idx"),
            # (logical shard, id): migrate_to_shards walks, verifies and deletes one logical shard at a
            # time; its SQL spells the expression exactly like this (orders/resharding/sql.py).
            models.Index(models.F("id").bitrightshift(12).bitand(1023), "id", name="order_logical_shard_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product_id = models.BigIntegerField()
    farmer_id = models.BigIntegerField()
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=8)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    line_total = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "product_id"], name="order_line_product_unique")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


class FarmerOrderLine(models.Model):
    """The farmers' read model: what to pick and pack for which delivery date, on the primary so the
    farmer's admin page reads one table instead of every shard."""

    farmer = models.ForeignKey("marketplace.Farmer", on_delete=models.PROTECT, related_name="order_lines")
    order_id = models.BigIntegerField()
    reference = models.CharField(max_length=20)
    product_id = models.BigIntegerField()
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=8)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    line_total = models.DecimalField(max_digits=10, decimal_places=2)
    delivery_date = models.DateField()
    pickup_point = models.CharField(max_length=20, choices=PickupPoint.choices, blank=True)
    placed_at = models.DateTimeField()

    class Meta:
        ordering = ["delivery_date", "name"]
        constraints = [models.UniqueConstraint(fields=["order_id", "product_id"], name="farmer_line_unique")]
        indexes = [models.Index(fields=["farmer", "delivery_date"], name="farmer_line_pick_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} {self.name} for {self.delivery_date}"
