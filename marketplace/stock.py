"""Taking, giving back and adjusting stock, on the primary.

Invariant: stock never goes below zero. Every take is a guarded conditional UPDATE (`... WHERE stock
>= quantity`), so even a caller that skipped locking cannot oversell; the database's CHECK constraint
is the last line behind it. Callers taking several products lock them first in primary-key order
(orders/lock_objects.py) so that two baskets sharing products can never deadlock.
"""

from django.db import connections

from marketplace.models import Product

PRIMARY = "default"


class InsufficientStock(Exception):
    """Some product has fewer units than asked for; nothing was taken."""


def stock_take(*, quantities: dict[int, int]) -> None:
    """Take `quantities` ({product id: units}) in the open primary transaction, all or nothing.

    Raises InsufficientStock (the caller's transaction must then roll back) if any product is short.
    """
    if not quantities or min(quantities.values()) < 1:
        raise ValueError("stock_take needs at least one product and positive quantities")
    if (rows_changed := _update(quantities, sign="-", guard=True)) != len(quantities):
        raise InsufficientStock(f"only {rows_changed} of {len(quantities)} products had the stock asked for")


def stock_release(*, quantities: dict[int, int]) -> None:
    """Give back units taken by `stock_take` (an order that was never written, or was cancelled)."""
    if quantities:
        _update(quantities, sign="+", guard=False)


def stock_adjust(*, product_id: int, by: int) -> None:
    """Add `by` units to one product's stock (negative to take) in the open primary transaction, in
    one guarded UPDATE, so that a concurrent checkout's take is never lost.

    Raises InsufficientStock, having changed nothing, if that would take the stock below zero, and
    Product.DoesNotExist if there is no such product.
    """
    sign, guard = ("-", True) if by < 0 else ("+", False)
    if not _update({product_id: abs(by)}, sign=sign, guard=guard):
        if not Product.objects.using(PRIMARY).filter(pk=product_id).exists():
            raise Product.DoesNotExist(f"no product {product_id}")
        raise InsufficientStock(f"taking {-by} would leave product {product_id} below zero")


def _update(quantities: dict[int, int], *, sign: str, guard: bool) -> int:
    table = Product._meta.db_table
    ordered = sorted(quantities.items())
    values = ", ".join(["(%s::bigint, %s::integer)"] * len(ordered))
    condition = "AND p.stock >= v.quantity" if guard else ""
    sql = (
        f"UPDATE {table} AS p SET stock = p.stock {sign} v.quantity, updated_at = now() "  # noqa: S608
        f"FROM (VALUES {values}) AS v(id, quantity) WHERE p.id = v.id {condition}"
    )
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(sql, [item for pair in ordered for item in pair])
        return cursor.rowcount
