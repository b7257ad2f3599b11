"""What farms need to fulfil orders: the warehouse systems stock changes are pushed to, and the
delivery manifests (one per farmer and delivery date) with the lines they are made from."""

from django.db import models

from marketplace.models import Farmer


class WarehouseEndpoint(models.Model):
    """A farmer's external warehouse system, which takes stock changes over HTTP."""

    farmer = models.OneToOneField(Farmer, on_delete=models.CASCADE, related_name="warehouse_endpoint")
    url = models.URLField(help_text="Stock changes are POSTed here as JSON.")
    token = models.CharField(max_length=200, blank=True, help_text="Sent as a bearer token.")
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.farmer}: {self.url}"


class ManifestLine(models.Model):
    """One order line to deliver, copied from the order_placed event (orders live on the shards)."""

    farmer = models.ForeignKey(Farmer, on_delete=models.CASCADE, related_name="manifest_lines")
    delivery_date = models.DateField()
    order_id = models.BigIntegerField()
    order_reference = models.CharField(max_length=40)
    product_id = models.BigIntegerField()
    product_name = models.CharField(max_length=120)
    unit = models.CharField(max_length=16)
    quantity = models.PositiveIntegerField()
    placed_at = models.DateTimeField()

    class Meta:
        ordering = ["placed_at", "order_reference", "product_name"]
        constraints = [models.UniqueConstraint(fields=["order_id", "product_id"], name="manifest_line_once")]
        indexes = [models.Index(fields=["farmer", "delivery_date"], name="manifest_line_day_idx")]

    def __str__(self) -> str:
        return f"{self.order_reference}: {self.quantity} x {self.product_name}"


class DeliveryManifest(models.Model):
    """A farmer's manifest for one delivery date, as files in the private manifests storage."""

    farmer = models.ForeignKey(Farmer, on_delete=models.CASCADE, related_name="manifests")
    delivery_date = models.DateField()
    csv_name = models.CharField(max_length=300)
    html_name = models.CharField(max_length=300)
    order_count = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-delivery_date", "farmer"]
        constraints = [
            models.UniqueConstraint(fields=["farmer", "delivery_date"], name="manifest_one_per_farmer_and_day")
        ]

    def __str__(self) -> str:
        return f"{self.farmer} — {self.delivery_date:%Y-%m-%d}"
