"""Fulfilment in the admin: a farmer sees only their own manifests (staff see all) and opens them
through signed links that expire; warehouse endpoints are staff configuration."""

from django.contrib import admin
from django.core.files.storage import storages
from django.http import HttpRequest
from django.utils.html import format_html

from fulfilment.models import DeliveryManifest, WarehouseEndpoint


def _is_farmer(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_staff and hasattr(request.user, "farmer")


@admin.register(DeliveryManifest)
class DeliveryManifestAdmin(admin.ModelAdmin):
    list_display = ["delivery_date", "farmer", "order_count", "line_count", "updated_at", "files"]
    list_filter = ["delivery_date"]
    date_hierarchy = "delivery_date"
    fields = ["farmer", "delivery_date", "order_count", "line_count", "updated_at", "files"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        manifests = super().get_queryset(request).select_related("farmer")
        if request.user.is_superuser:
            return manifests
        return manifests.filter(farmer__user=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_farmer(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: DeliveryManifest | None = None) -> bool:
        if _is_farmer(request):
            return obj is None or obj.farmer.user_id == request.user.pk
        return super().has_view_permission(request, obj)

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
