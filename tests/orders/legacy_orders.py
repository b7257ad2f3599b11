"""Legacy (unsharded) orders made fast: rows COPied straight into a server's order tables, with ids
built by routers.sharding.order_id_compose exactly as checkout builds them."""

import datetime as dt
import io
import uuid
from collections import defaultdict
from collections.abc import Callable

from django.db import connections, transaction

from orders.services import REFERENCE_ALPHABET, REFERENCE_LENGTH
from routers.sharding import ORDER_ID_EPOCH, logical_shard_for_customer, order_id_compose

LINES_PER_ORDER = 3
FIRST_CUSTOMER = 50_000_000


def legacy_orders_insert(
    *,
    count: int,
    place: Callable[[int], str] = lambda logical: "default",
    lines: int = LINES_PER_ORDER,
    event_every: int = 10,
) -> None:
    """`count` orders (4 per customer) of `lines` lines each, placed in the past (one a millisecond),
    every `event_every`-th with an unpublished `order_placed` event; `place` maps a logical shard to
    the alias its orders are written to (default: the primary, the legacy layout)."""
    now_ms = int((dt.datetime.now(dt.UTC) - ORDER_ID_EPOCH).total_seconds() * 1000)
    first_ms = now_ms - 60_000 - count
    buffers: dict[str, tuple[io.StringIO, io.StringIO, io.StringIO]] = defaultdict(
        lambda: (io.StringIO(), io.StringIO(), io.StringIO())
    )
    for i in range(count):
        customer = FIRST_CUSTOMER + i // 4
        ms = first_ms + i
        logical = logical_shard_for_customer(customer)
        orders, order_lines, events = buffers[place(logical)]
        order_id = order_id_compose(milliseconds=ms, logical=logical, sequence=i)
        placed = (ORDER_ID_EPOCH + dt.timedelta(milliseconds=ms)).isoformat()
        total = f"{3.5 * lines:.2f}"
        orders.write(
            f"{order_id}\t{_reference(i)}\t{customer}\tc{customer}@example.com\t555 0100\t1 Legacy Lane\t\t"
            f"2026-12-05\t{total}\tplaced\t{placed}\n"
        )
        for product in range(1, lines + 1):
            order_lines.write(f"{order_id}\t{product}\t1\tCarrots {product}\tlb\t1\t3.50\t3.50\n")
        if event_every and i % event_every == 0:
            events.write(f"{uuid.uuid4()}\torder_events\t{order_id}\torder_placed\t{{}}\t{{}}\t{placed}\t\\N\n")
    for alias, (orders, order_lines, events) in buffers.items():
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            for table, columns, rows in (
                ("orders_order", "", orders),
                ("orders_orderline", _LINE_COLUMNS, order_lines),
                ("outbox_outboxevent", _EVENT_COLUMNS, events),
            ):
                rows.seek(0)
                cursor.copy_expert(f"COPY {table}{columns} FROM STDIN", rows)


_LINE_COLUMNS = " (order_id, product_id, farmer_id, name, unit, quantity, unit_price, line_total)"
_EVENT_COLUMNS = " (id, topic, key, event_type, payload, headers, created_at, published_at)"


def _reference(i: int) -> str:
    digits = []
    for _ in range(REFERENCE_LENGTH - 1):
        i, digit = divmod(i, len(REFERENCE_ALPHABET))
        digits.append(REFERENCE_ALPHABET[digit])
    return "Z" + "".join(reversed(digits))
