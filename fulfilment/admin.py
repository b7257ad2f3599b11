"""Fulfilment in the farmers' back office: a farmer sees only their own delivery manifests (another
farm's is a 404, as everywhere in it) and opens them through signed links that expire; staff who
see every farm see them all. Warehouse endpoints are staff configuration."""

from django.contrib import admin
from django.core.files.storage import storages
from django.http import HttpRequest
from django.utils.html import format_html

from fulfilment.models import DeliveryManifest, WarehouseEndpoint
from marketplace.admin import FarmScopedAdmin, farmer_of


def _runs_a_farm(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_staff and farmer_of(request) is not None


@admin.register(DeliveryManifest)
class DeliveryManifestAdmin(FarmScopedAdmin):
    owner_lookup = "farmer_id"
    list_display = ["delivery_date", "farmer", "order_count", "line_count", "updated_at", "files"]
    list_filter = ["delivery_date"]
    date_hierarchy = "delivery_date"
    fields = ["farmer", "delivery_date", "order_count", "line_count", "updated_at", "files"]
    readonly_fields = fields
    list_select_related = ["farmer"]

    # Every farm sees its own manifests, without a permission to grant: the queryset is scoped.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _runs_a_farm(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: DeliveryManifest | None = None) -> bool:
        return _runs_a_farm(request) or super().has_view_permission(request, obj)

    # Manifests are written by the manifests consumer only.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DeliveryManifest | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DeliveryManifest | None = None) -> bool:
        return False

    @admin.display(description="manifest")
    def files(self, manifest: DeliveryManifest) -> str:
        if not manifest.csv_name:
            return "-"
        storage = storages["manifests"]
        return format_html(
            '<a href="{}">CSV</a> · <a href="{}" target="_blank" rel="noopener">printable</a>',
            storage.url(manifest.csv_name),
            storage.url(manifest.html_name),
        )


@admin.register(WarehouseEndpoint)
class WarehouseEndpointAdmin(admin.ModelAdmin):
    list_display = ["farmer", "url", "is_active"]
    list_select_related = ["farmer"]
