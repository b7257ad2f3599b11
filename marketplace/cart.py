"""The shopper's cart, kept in the session as {product id: quantity}. Checkout (orders) reads it with
`cart_items` and empties it with `cart_clear` once the order is placed."""

from django.contrib.sessions.backends.base import SessionBase

SESSION_KEY = "cart"
# The most of one product a basket line may hold: the cart and checkout refuse more alike.
MAX_LINE_QUANTITY = 99


def cart_items(session: SessionBase) -> dict[int, int]:
    """Product id -> quantity, as the shopper left them."""
    return {int(product_id): quantity for product_id, quantity in session.get(SESSION_KEY, {}).items()}


def cart_set(session: SessionBase, *, product_id: int, quantity: int) -> None:
    """Set one line's quantity; zero removes the line. Validation is the caller's (a form)."""
    items = session.get(SESSION_KEY, {})
    if quantity > 0:
        items[str(product_id)] = quantity
    else:
        items.pop(str(product_id), None)
    session[SESSION_KEY] = items


def cart_clear(session: SessionBase) -> None:
    session.pop(SESSION_KEY, None)
