"""What every storefront page's layout shows."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from marketplace.cart import cart_items


def storefront(request: HttpRequest) -> dict:
    """The cart's item count, read from the session only by templates that show it."""
    return {"cart_count": SimpleLazyObject(lambda: sum(cart_items(request.session).values()))}
