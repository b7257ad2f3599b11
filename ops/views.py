from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops import charts, health, selectors
from ops.forms import DeliveryDayForm
from orders.selectors import orders_for_delivery_date


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving; touches no server."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    report = health.readiness_report()
    return JsonResponse(report.as_json(), status=503 if report.status == health.DOWN else 200)


@staff_member_required
@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    readiness = health.readiness_report(deadline_s=health.DASHBOARD_DEADLINE_S)
    backlog = selectors.outbox_backlog_list()
    orders = selectors.order_count_list()
    lag, lag_error = selectors.consumer_lag_or_reason(
        broker_ready=readiness.ok("broker"), timeout_s=health.DASHBOARD_DEADLINE_S
    )
    context = {
        "readiness": readiness,
        "replication": selectors.replication_list(),
        "backlog": backlog,
        "backlog_chart": charts.bar_chart({b.alias: b.unpublished for b in backlog if b.unpublished is not None}),
        "orders": orders,
        "orders_chart": charts.bar_chart({o.alias: o.orders for o in orders if o.orders is not None}),
        "consumer_lag": lag,
        "consumer_lag_error": lag_error,
        "consumer_lag_chart": charts.bar_chart({g.group: g.lag for g in lag}),
        "recent_errors": selectors.recent_error_list(),
    }
    return render(request, "ops/dashboard.html", context)


@require_GET
@staff_member_required
@never_cache
def delivery_day(request: HttpRequest) -> HttpResponse:
    """Every order of one delivery day, gathered from every shard (staff only)."""
    form = DeliveryDayForm(request.GET)
    if not form.is_valid():
        return render(request, "ops/delivery_day.html", {"form": form}, status=400)
    day = form.day_or_tomorrow()
    found = orders_for_delivery_date(day=day)
    context = {"form": form, "day": day, "found": found, "total": sum(order.total for order in found.orders)}
    return render(request, "ops/delivery_day.html", context)
