"""Admin: farmers see what to pick and pack (their own order lines only, from the read model on the
primary, so no page view asks every shard); staff see customers and open reservations."""

from django.contrib import admin
from django.http import HttpRequest

from orders.models import Customer, FarmerOrderLine, StockReservation


def _is_farmer(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_staff and hasattr(request.user, "farmer")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(FarmerOrderLine)
class FarmerOrderLineAdmin(ReadOnlyAdmin):
    list_display = ["delivery_date", "name", "quantity", "unit", "reference", "pickup_point", "line_total"]
    list_filter = ["delivery_date"]
    date_hierarchy = "delivery_date"
    search_fields = ["reference", "name"]

    def get_queryset(self, request: HttpRequest):
        lines = super().get_queryset(request)
        return lines if request.user.is_superuser else lines.filter(farmer__user=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_farmer(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if _is_farmer(request):
            return obj is None or obj.farmer_id == request.user.farmer.id
        return super().has_view_permission(request, obj)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["email", "name", "phone", "user", "created_at"]
    search_fields = ["email", "name"]


@admin.register(StockReservation)
class StockReservationAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "reference", "customer", "shard", "status", "created_at", "expires_at"]
    list_filter = ["status", "shard"]
    list_select_related = ["customer"]
