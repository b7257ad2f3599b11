"""What every storefront page's layout shows."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from marketplace.cart import cart_items
from marketplace.pages import CSRF_PLACEHOLDER, rendering_for_everyone


def storefront(request: HttpRequest) -> dict:
    """The cart's item count, read from the session only by templates that show it; and, on a page
    rendered to be kept for every visitor like this one, a placeholder for the CSRF token, which
    marketplace/pages.py replaces with each request's own."""
    context = {"cart_count": SimpleLazyObject(lambda: sum(cart_items(request.session).values()))}
    if rendering_for_everyone(request):
        context["csrf_token"] = CSRF_PLACEHOLDER
    return context
