"""SQL for moving orders. Every query picks rows by `LOGICAL` so it walks `order_logical_shard_idx`."""

from routers.sharding import N_LOGICAL, SEQUENCE_BITS


def logical_of(column: str) -> str:
    """The logical shard of the order id in `column`, as routers.sharding.order_id_logical_shard has it."""
    return f"(({column} >> {SEQUENCE_BITS}) & {N_LOGICAL - 1})"


LOGICAL = logical_of("id")

ORDER_COLUMNS = (
    "id, reference, customer_id, email, phone, delivery_address, pickup_point, delivery_date, total, status, placed_at"
)
# Line ids are each server's own sequence, so lines move without them, matched by (order, product).
LINE_COLUMNS = "order_id, product_id, farmer_id, name, unit, quantity, unit_price, line_total"
OUTBOX_COLUMNS = "id, topic, key, event_type, payload, headers, created_at, published_at"

TABLES = {"order": "orders_order", "line": "orders_orderline", "outbox": "outbox_outboxevent"}
COLUMNS = {"order": ORDER_COLUMNS, "line": LINE_COLUMNS, "outbox": OUTBOX_COLUMNS}


def range_ids(*, first: int, last: int, through: int | None = None) -> str:
    """Every order id of logical shards first..last; with `through`, only those up to that id."""
    upto = "" if through is None else f" AND id <= {through:d}"
    return f"SELECT id FROM orders_order WHERE {LOGICAL} BETWEEN {first:d} AND {last:d}{upto}"


def batch_ids(*, first: int, last: int, limit: int) -> str:
    """The next `limit` order ids of logical shards first..last after the cursor (%(logical)s, %(id)s)."""
    return (
        f"SELECT id FROM orders_order WHERE {LOGICAL} BETWEEN {first:d} AND {last:d}"
        f" AND ({LOGICAL}, id) > (%(logical)s, %(id)s) ORDER BY {LOGICAL}, id LIMIT {limit:d}"
    )


def batch_orders_copy_out(*, first: int, last: int, after: int, limit: int) -> str:
    """COPY ... TO STDOUT of the next `limit` orders of logical shards first..last with ids above `after`,
    in id order. Ids grow with time, so id order is the order the rows were written in: a batch reads
    neighbouring pages of the source and appends at the right edge of the target's primary key and
    placed_at indexes. Walking one logical shard after another instead inserts all over those indexes,
    once per logical shard; at a million orders (indexes far larger than shared_buffers) that, not the
    reading, took most of the copy's time."""
    return (
        f"COPY (SELECT {ORDER_COLUMNS} FROM orders_order WHERE id > {after:d}"
        f" AND {LOGICAL} BETWEEN {first:d} AND {last:d} ORDER BY id LIMIT {limit:d}) TO STDOUT"
    )


def batch_copy_out(kind: str, *, first: int, last: int, after: int, through: int) -> str:
    """COPY ... TO STDOUT of the lines or unpublished events of the orders of logical shards first..last
    with ids in (after, through]: the batch batch_orders_copy_out returned, found through an id range of
    the lines' order index rather than a list of the batch's ids."""
    if kind == "line":
        where = (
            f"order_id > {after:d} AND order_id <= {through:d}"
            f" AND {logical_of('order_id')} BETWEEN {first:d} AND {last:d}"
        )
        order_by = "order_id, product_id"
        return f"COPY (SELECT {LINE_COLUMNS} FROM orders_orderline WHERE {where} ORDER BY {order_by}) TO STDOUT"
    # Only unpublished events move: published ones are the relay's history, not the order's state.
    # A hash of the batch's keys probed by each unpublished event (the table has no index on key).
    ids = (
        f"SELECT id::text FROM orders_order WHERE id > {after:d} AND id <= {through:d}"
        f" AND {LOGICAL} BETWEEN {first:d} AND {last:d}"
    )
    return (
        f"COPY (SELECT {OUTBOX_COLUMNS} FROM outbox_outboxevent WHERE published_at IS NULL AND key IN ({ids})"
        " ORDER BY created_at) TO STDOUT"
    )


def copy_in(kind: str) -> str:
    return f"COPY {TABLES[kind]} ({COLUMNS[kind]}) FROM STDIN"


def staging_create(kind: str) -> str:
    return (
        f"CREATE TEMP TABLE IF NOT EXISTS staging_{kind} ON COMMIT DELETE ROWS"
        f" AS SELECT {COLUMNS[kind]} FROM {TABLES[kind]} WITH NO DATA"
    )


def staging_copy_in(kind: str) -> str:
    return f"COPY staging_{kind} ({COLUMNS[kind]}) FROM STDIN"


def staging_insert(kind: str) -> str:
    """Idempotent: rows already on the target (an earlier, killed run copied them) are skipped."""
    return (
        f"INSERT INTO {TABLES[kind]} ({COLUMNS[kind]}) SELECT {COLUMNS[kind]} FROM staging_{kind}"
        " ON CONFLICT DO NOTHING"
    )


def orders_digest(*, first: int, last: int, below: int | None) -> str:
    """Per logical shard: order count and md5 of every order's contents, in id order."""
    bound = "" if below is None else f" AND id < {below:d}"
    return (
        f"SELECT {LOGICAL}, count(*), md5(string_agg(ROW({ORDER_COLUMNS.replace('placed_at', _UTC)})::text,"
        f" E'\\n' ORDER BY id)) FROM orders_order WHERE {LOGICAL} BETWEEN {first:d} AND {last:d}{bound}"
        f" GROUP BY 1"
    )


def lines_digest(*, first: int, last: int, below: int | None) -> str:
    """Per logical shard: line count and md5 of every line's contents, in (order, product) order."""
    bound = "" if below is None else f" AND id < {below:d}"
    return (
        f"SELECT {logical_of('order_id')}, count(*), md5(string_agg(ROW({LINE_COLUMNS})::text, E'\\n'"
        f" ORDER BY order_id, product_id)) FROM orders_orderline WHERE order_id IN (SELECT id FROM orders_order"
        f" WHERE {LOGICAL} BETWEEN {first:d} AND {last:d}{bound}) GROUP BY 1"
    )


_UTC = "placed_at AT TIME ZONE 'UTC'"


def batch_delete(kind: str, ids: str) -> str:
    """Delete one kind of row of a batch of moved orders from the source (lines and events first)."""
    if kind == "order":
        return f"DELETE FROM orders_order WHERE id = ANY(ARRAY({ids}))"
    if kind == "line":
        return f"DELETE FROM orders_orderline WHERE order_id = ANY(ARRAY({ids}))"
    return (
        f"DELETE FROM outbox_outboxevent WHERE published_at IS NULL AND key IN (SELECT id::text FROM ({ids}) AS batch)"
    )


def reservations_follow(*, first: int, last: int) -> str:
    """Point the open reservations of the orders of logical shards first..last at the target
    (%(source)s -> %(target)s)."""
    return (
        "UPDATE orders_stockreservation SET shard = %(target)s WHERE status = %(reserved)s AND shard = %(source)s"
        f" AND {logical_of('order_id')} BETWEEN {first:d} AND {last:d}"
    )
