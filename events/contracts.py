"""The events' payloads as the consumers read them, checked on the way in.

`order_placed` (written by checkout with the order, on its shard):
{"order_id", "reference", "customer_id", "email", "phone", "delivery_date": "YYYY-MM-DD",
 "placed_at": ISO 8601, "total": "12.50",
 "lines": [{"product_id", "farmer_id", "name", "unit", "quantity", "unit_price", "line_total"}]}

`stock_changed` (written by a farmer's stock adjustment, on the primary; key "product:<id>"):
{"product_id", "farmer_id", "name", "unit", "quantity_delta", "stock"}
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from events.processing import MalformedEvent


@dataclass(frozen=True)
class OrderLine:
    product_id: int
    farmer_id: int
    name: str
    unit: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class OrderPlaced:
    EVENT_TYPE = "order_placed"

    order_id: int
    reference: str
    customer_id: int
    email: str
    phone: str
    delivery_date: dt.date
    placed_at: dt.datetime
    total: Decimal
    lines: tuple[OrderLine, ...]

    def lines_by_farmer(self) -> dict[int, list[OrderLine]]:
        grouped: dict[int, list[OrderLine]] = {}
        for line in self.lines:
            grouped.setdefault(line.farmer_id, []).append(line)
        return grouped


def order_placed_decode(payload: dict) -> OrderPlaced:
    """The order in an `order_placed` payload, or MalformedEvent naming what is missing or wrong."""
    try:
        lines = tuple(
            OrderLine(
                product_id=int(line["product_id"]),
                farmer_id=int(line["farmer_id"]),
                name=str(line["name"]),
                unit=str(line["unit"]),
                quantity=int(line["quantity"]),
                unit_price=Decimal(str(line["unit_price"])),
                line_total=Decimal(str(line["line_total"])),
            )
            for line in payload["lines"]
        )
        order = OrderPlaced(
            order_id=int(payload["order_id"]),
            reference=str(payload["reference"]),
            customer_id=int(payload["customer_id"]),
            email=str(payload["email"]),
            phone=str(payload.get("phone") or ""),
            delivery_date=dt.date.fromisoformat(payload["delivery_date"]),
            placed_at=dt.datetime.fromisoformat(payload["placed_at"]),
            total=Decimal(str(payload["total"])),
            lines=lines,
        )
    except KeyError as exc:
        raise MalformedEvent(f"order_placed payload has no {exc.args[0]!r}") from None
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise MalformedEvent(f"order_placed payload is invalid: {exc}") from None
    if not order.lines:
        raise MalformedEvent("order_placed payload has no lines")
    return order


@dataclass(frozen=True)
class StockChanged:
    EVENT_TYPE = "stock_changed"

    product_id: int
    farmer_id: int
    name: str
    unit: str
    quantity_delta: int
    stock: int


def stock_changed_decode(payload: dict) -> StockChanged:
    """The adjustment in a `stock_changed` payload, or MalformedEvent naming what is missing or wrong."""
    try:
        return StockChanged(
            product_id=int(payload["product_id"]),
            farmer_id=int(payload["farmer_id"]),
            name=str(payload["name"]),
            unit=str(payload["unit"]),
            quantity_delta=int(payload["quantity_delta"]),
            stock=int(payload["stock"]),
        )
    except KeyError as exc:
        raise MalformedEvent(f"stock_changed payload has no {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise MalformedEvent(f"stock_changed payload is invalid: {exc}") from None
