"""The storefront: thin views over the catalog selectors and the session cart."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from marketplace import selectors
from marketplace.cart import cart_items, cart_set
from marketplace.forms import CartAddForm, CartLineForm, ProductSearchForm


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "marketplace/home.html",
        {"categories": selectors.category_list(), "products": selectors.product_newest()},
    )


@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    form = ProductSearchForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "categories": selectors.category_list(), "page": None}
        return render(request, "marketplace/product_list.html", context, status=400)
    slug, query = form.cleaned_data["category"], form.cleaned_data["q"]
    category = selectors.category_get(slug=slug) if slug else None
    page = selectors.product_search_page(category=category, query=query, page=request.GET.get("page", 1))
    context = {
        "form": form,
        "categories": selectors.category_list(),
        "category": category,
        "query": query,
        "page": page,
    }
    return render(request, "marketplace/product_list.html", context)


@require_GET
def product_detail(request: HttpRequest, farmer_slug: str, product_slug: str) -> HttpResponse:
    product = selectors.product_get(farmer_slug=farmer_slug, product_slug=product_slug)
    context = {
        "product": product,
        "delivery_date": selectors.delivery_date_for(farmer=product.farmer),
        "form": CartAddForm(initial={"product": product.pk, "quantity": 1}),
        "in_cart": cart_items(request.session).get(product.pk, 0),
    }
    return render(request, "marketplace/product_detail.html", context)


@require_GET
def farmer_list(request: HttpRequest) -> HttpResponse:
    return render(request, "marketplace/farmer_list.html", {"farmers": selectors.farmer_list()})


@require_GET
def farmer_detail(request: HttpRequest, slug: str) -> HttpResponse:
    farmer = selectors.farmer_get(slug=slug)
    context = {
        "farmer": farmer,
        "page": selectors.product_search_page(farmer=farmer, page=request.GET.get("page", 1)),
        "delivery_date": selectors.delivery_date_for(farmer=farmer),
    }
    return render(request, "marketplace/farmer_detail.html", context)


@require_GET
def cart(request: HttpRequest) -> HttpResponse:
    summary = selectors.cart_summary(items=cart_items(request.session))
    for product_id in summary.unavailable:
        cart_set(request.session, product_id=product_id, quantity=0)
    if summary.unavailable:
        messages.warning(request, "Some products in your cart are no longer on sale and were removed.")
    return render(request, "marketplace/cart.html", {"cart": summary})


def _posted_product_id(request: HttpRequest) -> int | None:
    value = request.POST.get("product", "")
    # ASCII digits only, and short enough for a bigint: anything else names no product.
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _cart_line_form(request: HttpRequest, form_class: type[CartLineForm]) -> CartLineForm:
    """The posted form, bound to the product it names (as the catalog has it) and the cart."""
    product_id = _posted_product_id(request)
    product = selectors.product_for_cart(product_id=product_id) if product_id else None
    in_cart = cart_items(request.session).get(product_id, 0) if product_id else 0
    return form_class(request.POST, product=product, in_cart=in_cart)


def _report_errors(request: HttpRequest, form: CartLineForm) -> None:
    for field, errors in form.errors.items():
        prefix = "" if field == "__all__" else f"{form.fields[field].label or field.title()}: "
        messages.error(request, prefix + " ".join(errors))


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    form = _cart_line_form(request, CartAddForm)
    if not form.is_valid():
        _report_errors(request, form)
        product = form.catalog_product
        if product is None:
            return redirect("marketplace:product_list")
        return redirect(product)
    cart_set(request.session, product_id=form.catalog_product.pk, quantity=form.cleaned_data["new_quantity"])
    messages.success(request, f"Added {form.cleaned_data['quantity']} x {form.catalog_product.name} to your cart.")
    return redirect("marketplace:cart")


@require_POST
def cart_update(request: HttpRequest) -> HttpResponse:
    form = _cart_line_form(request, CartLineForm)
    if not form.is_valid():
        _report_errors(request, form)
        return redirect("marketplace:cart")
    cart_set(request.session, product_id=form.cleaned_data["product"], quantity=form.cleaned_data["new_quantity"])
    return redirect("marketplace:cart")


@require_POST
def cart_remove(request: HttpRequest) -> HttpResponse:
    product_id = _posted_product_id(request)
    if product_id is not None:
        cart_set(request.session, product_id=product_id, quantity=0)
    return redirect("marketplace:cart")
