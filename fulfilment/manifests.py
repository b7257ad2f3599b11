"""Rendering a delivery manifest: a CSV for the farm's own tools and a printable HTML page."""

import csv
import io
from collections import Counter

from django.template.loader import render_to_string
from django.utils import timezone

from fulfilment.models import ManifestLine
from marketplace.models import Farmer

CSV_COLUMNS = ["delivery_date", "order_reference", "placed_at", "product_id", "product", "unit", "quantity"]


def manifest_csv(*, lines: list[ManifestLine]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow(
            [
                line.delivery_date.isoformat(),
                line.order_reference,
                timezone.localtime(line.placed_at).isoformat(timespec="minutes"),
                line.product_id,
                line.product_name,
                line.unit,
                line.quantity,
            ]
        )
    return out.getvalue().encode()


def manifest_html(*, farmer: Farmer, delivery_date, lines: list[ManifestLine]) -> bytes:
    """The page a farmer prints: what to pick (totals per product), then what goes in each order."""
    totals = Counter()
    units: dict[str, str] = {}
    orders: dict[str, list[ManifestLine]] = {}
    for line in lines:
        totals[line.product_name] += line.quantity
        units[line.product_name] = line.unit
        orders.setdefault(line.order_reference, []).append(line)
    context = {
        "farmer": farmer,
        "delivery_date": delivery_date,
        "picking": [(name, totals[name], units[name]) for name in sorted(totals)],
        "orders": orders,
        "generated_at": timezone.localtime(),
    }
    return render_to_string("fulfilment/manifest.html", context).encode()
