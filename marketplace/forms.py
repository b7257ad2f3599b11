"""What shoppers type, validated before anything reads or writes with it."""

from django import forms

from marketplace.cart import MAX_LINE_QUANTITY
from marketplace.models import Product


class ProductSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    category = forms.SlugField(required=False)


class CartLineForm(forms.Form):
    """A cart line's new quantity: a whole number, within the product's stock. The view looks the
    product up first and passes it (None when it is gone or off sale) with what the cart holds."""

    product = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=0, max_value=MAX_LINE_QUANTITY)

    def __init__(self, *args, product: Product | None = None, in_cart: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalog_product = product
        self.in_cart = in_cart

    def new_quantity(self, quantity: int) -> int:
        return quantity

    def clean(self) -> dict:
        cleaned = super().clean()
        if "quantity" not in cleaned or "product" not in cleaned:
            return cleaned
        product = self.catalog_product
        wanted = self.new_quantity(cleaned["quantity"])
        if wanted == 0:
            cleaned["new_quantity"] = 0
            return cleaned
        if product is None:
            raise forms.ValidationError("That product is no longer on sale.")
        if wanted > product.stock:
            raise forms.ValidationError(
                f"Only {product.stock} of {product.name} left"
                + (f"; your cart already holds {self.in_cart}." if self.in_cart else ".")
            )
        if wanted > MAX_LINE_QUANTITY:
            raise forms.ValidationError(f"At most {MAX_LINE_QUANTITY} of one product per order.")
        cleaned["new_quantity"] = wanted
        return cleaned


class CartAddForm(CartLineForm):
    """Adds to what the cart already holds."""

    quantity = forms.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, initial=1)

    def new_quantity(self, quantity: int) -> int:
        return self.in_cart + quantity
