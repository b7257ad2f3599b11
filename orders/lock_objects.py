"""Row locks for checkout, always taken in primary-key order.

Two checkouts that share products then queue on the first shared row instead of each holding a row
the other waits for, so they never deadlock.
"""

from marketplace.models import Product


def products_lock_for_checkout(*, product_ids: list[int]) -> list[Product]:
    """Lock the products (with their farmers) in the open primary transaction, in pk order."""
    return list(
        Product.objects.using("default")
        .select_related("farmer")
        .filter(id__in=product_ids)
        .order_by("id")
        .select_for_update(of=("self",))
    )
