"""Checkout, order pages and registration: parse, call one service or selector, render."""

import uuid

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from marketplace.cart import cart_clear, cart_items
from orders.forms import DeliveryForm, PlaceOrderForm, RegistrationForm, basket_sign
from orders.selectors import (
    PLACED_IN_SESSION,
    basket_quote,
    customer_of_user,
    order_for_viewer,
    order_history,
)
from orders.services import (
    CheckoutRefused,
    DeliveryDetails,
    OrderInProgress,
    ShardUnavailable,
    customer_for_checkout,
    customer_register,
    order_place,
)

DELIVERY_IN_SESSION = "checkout_delivery"
HISTORY_PAGE_SIZE = 20


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    """Step 1 of checkout: who and where to deliver to."""
    quote = basket_quote(cart=cart_items(request.session))
    if request.method == "POST":
        form = DeliveryForm(request.POST)
        if form.is_valid():
            request.session[DELIVERY_IN_SESSION] = form.cleaned_data
            return redirect("orders:review")
    else:
        form = DeliveryForm(initial=request.session.get(DELIVERY_IN_SESSION) or _known_contact(request))
    return render(request, "orders/checkout.html", {"form": form, "quote": quote})


def _known_contact(request: HttpRequest) -> dict:
    customer = customer_of_user(user=request.user)
    if customer is not None:
        return {"email": customer.email, "phone": customer.phone}
    return {"email": request.user.email} if request.user.is_authenticated else {}


@require_http_methods(["GET", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    """Step 2: the basket priced now, the delivery date, and the button that places the order."""
    delivery_form = DeliveryForm(request.session.get(DELIVERY_IN_SESSION) or None)
    if not delivery_form.is_valid():
        messages.info(request, "Tell us where to deliver first.")
        return redirect("orders:checkout")
    delivery = delivery_form.details()
    if request.method == "POST":
        return _place(request, delivery)
    return _review_page(request, delivery)


def _review_page(request: HttpRequest, delivery: DeliveryDetails, *, status: int = 200) -> HttpResponse:
    quote = basket_quote(cart=cart_items(request.session))
    place_form = PlaceOrderForm(initial={"basket": basket_sign(quote), "idempotency_key": uuid.uuid4()})
    context = {"quote": quote, "delivery": delivery, "place_form": place_form}
    return render(request, "orders/review.html", context, status=status)


def _place(request: HttpRequest, delivery: DeliveryDetails) -> HttpResponse:
    form = PlaceOrderForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _review_page(request, delivery, status=400)
    try:
        customer = customer_for_checkout(user=request.user, email=delivery.email, phone=delivery.phone)
        placed = order_place(
            customer=customer,
            lines=form.cleaned_data["basket"]["lines"],
            delivery=delivery,
            idempotency_key=form.idempotency_key_value(),
            delivery_date_shown=form.cleaned_data["basket"]["delivery_date"],
        )
    except CheckoutRefused as refused:
        messages.error(request, str(refused))
        return _review_page(request, delivery, status=409)
    except ShardUnavailable:
        response = render(request, "orders/unavailable.html", status=503)
        response["Retry-After"] = "30"
        return response
    except OrderInProgress:
        return render(request, "orders/in_progress.html", status=409)
    request.session[PLACED_IN_SESSION] = {
        **request.session.get(PLACED_IN_SESSION, {}),
        placed.reference: placed.order_id,
    }
    if not placed.replayed:
        cart_clear(request.session)
    return redirect("orders:confirmation", reference=placed.reference)


def confirmation(request: HttpRequest, reference: str) -> HttpResponse:
    return _order_page(request, reference, template="orders/confirmation.html")


def detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _order_page(request, reference, template="orders/detail.html")


def _order_page(request: HttpRequest, reference: str, *, template: str) -> HttpResponse:
    order = order_for_viewer(reference=reference, user=request.user, session=request.session)
    if order is None:
        raise Http404("No such order")
    return render(request, template, {"order": order, "lines": list(order.lines.all())})


@login_required
def history(request: HttpRequest) -> HttpResponse:
    customer = customer_of_user(user=request.user)
    orders = order_history(customer=customer) if customer is not None else []
    page = Paginator(orders, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/history.html", {"orders": page.object_list, "page": page})


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = customer_register(
            email=form.cleaned_data["email"], password=form.cleaned_data["password"], name=form.cleaned_data["name"]
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to UrbanHarvest.")
        return redirect("orders:history")
    return render(request, "registration/register.html", {"form": form})
