"""The farmers' back office: Django admin, scoped so a farmer sees and touches only their own farm,
products and images (another farmer's object is a 404, whatever the URL). Staff without a farm
profile see everything their permissions allow. Stock changes are adjustments, applied with one
guarded UPDATE, so a checkout taking stock at the same moment is never overwritten."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from marketplace.models import Category, Farmer, Product, ProductImage
from marketplace.services import FARMERS_GROUP, product_stock_adjust
from marketplace.stock import InsufficientStock


def farmer_of(request: HttpRequest) -> Farmer | None:
    """The farm the logged-in user runs, if any."""
    if not hasattr(request, "_admin_farmer"):
        user = request.user
        request._admin_farmer = Farmer.objects.filter(user=user).first() if user.is_authenticated else None
    return request._admin_farmer


def sees_every_farm(request: HttpRequest) -> bool:
    """Superusers, and staff who neither run a farm nor belong to the Farmers group. A Farmers-group
    account without a farm profile sees nothing rather than everything."""
    if not hasattr(request, "_admin_sees_every_farm"):
        user = request.user
        request._admin_sees_every_farm = user.is_superuser or (
            farmer_of(request) is None and not user.groups.filter(name=FARMERS_GROUP).exists()
        )
    return request._admin_sees_every_farm


class FarmScopedAdmin(admin.ModelAdmin):
    """A farmer's querysets hold only their own rows, and any other row is "not found"."""

    owner_lookup: str

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if sees_every_farm(request):
            return queryset
        farmer = farmer_of(request)
        return queryset.none() if farmer is None else queryset.filter(**{self.owner_lookup: farmer.pk})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and (sees_every_farm(request) or farmer_of(request) is not None)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        # Django's admin redirects to its index on a missing object; a plain 404 says the same to
        # a farmer probing ids without confirming which exist.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    fields = ["image", "alt_text", "position"]
    extra = 1


class ProductForm(forms.ModelForm):
    adjust_stock = forms.IntegerField(
        required=False,
        label="Adjust stock by",
        help_text="Units to add (or, negative, to take away). Applied to the stock as it is when you save.",
    )

    class Meta:
        model = Product
        fields = ["farmer", "name", "slug", "category", "description", "unit", "price", "stock", "is_active"]

    farmer_for_new: Farmer | None = None

    def clean_adjust_stock(self) -> int:
        by = self.cleaned_data.get("adjust_stock") or 0
        if by < 0 and self.instance.pk and self.instance.stock + by < 0:
            raise forms.ValidationError(f"There are only {self.instance.stock} in stock.")
        return by

    def clean(self) -> dict:
        # The farm is not a field of a farmer's form, so Django skips the per-farm slug check.
        cleaned = super().clean()
        chosen = cleaned.get("farmer") or self.farmer_for_new
        farmer_id = chosen.pk if chosen else self.instance.farmer_id
        slug = cleaned.get("slug")
        if farmer_id and slug:
            clash = Product.objects.filter(farmer_id=farmer_id, slug=slug).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("slug", "This farm already has a product with this slug.")
        return cleaned


@admin.register(Product)
class ProductAdmin(FarmScopedAdmin):
    owner_lookup = "farmer_id"
    form = ProductForm
    inlines = [ProductImageInline]
    list_display = ["name", "category", "price", "unit", "stock", "is_active"]
    list_filter = ["is_active", "category"]
    list_select_related = ["category", "farmer"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_list_display(self, request: HttpRequest) -> list[str]:
        if not sees_every_farm(request):
            return self.list_display
        return [*self.list_display[:1], "farmer", *self.list_display[1:]]

    def get_list_filter(self, request: HttpRequest) -> list[str]:
        return [*self.list_filter, "farmer"] if sees_every_farm(request) else self.list_filter

    def get_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        fields = ["name", "slug", "category", "description", "unit", "price", "stock", "is_active"]
        if obj is not None:
            fields.append("adjust_stock")
        return ["farmer", *fields] if sees_every_farm(request) else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        return ["stock"] if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Product | None = None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.farmer_for_new = None if sees_every_farm(request) else farmer_of(request)
        return form

    def save_model(self, request: HttpRequest, obj: Product, form: ProductForm, change: bool) -> None:
        if not change:
            if not sees_every_farm(request):
                obj.farmer = farmer_of(request)
            obj.save()
            return
        # Everything but the stock, which only ever moves by a guarded adjustment (updated_at included:
        # auto_now fields are not editable, yet must record the edit).
        fields = obj._meta.concrete_fields
        saved = [f.name for f in fields if (f.editable or getattr(f, "auto_now", False)) and not f.primary_key]
        obj.save(update_fields=[name for name in saved if name != "stock"])
        by = form.cleaned_data.get("adjust_stock") or 0
        if by:
            try:
                obj.stock = product_stock_adjust(product_id=obj.pk, by=by)
            except InsufficientStock:
                messages.error(request, f"Stock was not changed: taking {-by} would leave it below zero.")


@admin.register(Farmer)
class FarmerAdmin(FarmScopedAdmin):
    owner_lookup = "pk"
    list_display = ["farm_name", "town", "user"]
    search_fields = ["farm_name", "town"]
    prepopulated_fields = {"slug": ["farm_name"]}

    def get_fields(self, request: HttpRequest, obj: Farmer | None = None) -> list[str]:
        fields = ["farm_name", "story", "town", "photo", "delivery_days", "order_cutoff"]
        return ["user", "slug", *fields] if sees_every_farm(request) else fields

    def get_prepopulated_fields(self, request: HttpRequest, obj: Farmer | None = None) -> dict:
        return self.prepopulated_fields if sees_every_farm(request) else {}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    prepopulated_fields = {"slug": ["name"]}
