"""The storefront: thin views over the catalog selectors (their results and rendered fragments kept
briefly by marketplace/fragments.py, whole pages for visitors with nothing personal on them by
marketplace/pages.py) and the session cart."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from marketplace import selectors
from marketplace.cart import cart_items, cart_set
from marketplace.forms import CartAddForm, CartLineForm, ProductSearchForm
from marketplace.fragments import catalog_cached
from marketplace.models import Product
from marketplace.pages import kept_for_everyone


def _categories() -> list:
    return catalog_cached(("categories",), selectors.category_list)


def _page_number(request: HttpRequest) -> str:
    return request.GET.get("page", "1")[:12]


@require_GET
@kept_for_everyone
def home(request: HttpRequest) -> HttpResponse:
    newest = catalog_cached(
        ("home_newest",),
        lambda: render_to_string("marketplace/includes/product_cards.html", {"products": selectors.product_newest()}),
    )
    return render(request, "marketplace/home.html", {"categories": _categories(), "newest": newest})


@require_GET
@kept_for_everyone
def product_list(request: HttpRequest) -> HttpResponse:
    form = ProductSearchForm(request.GET)
    categories = _categories()
    if not form.is_valid():
        return render(request, "marketplace/product_list.html", {"form": form, "categories": categories}, status=400)
    slug, query, page_number = form.cleaned_data["category"], form.cleaned_data["q"], _page_number(request)
    category = next((c for c in categories if c.slug == slug), None)
    if slug and category is None:
        raise Http404(f"No category called {slug!r}.")

    def grid() -> str:
        page = selectors.product_search_page(category=category, query=query, page=page_number)
        context = {"page": page, "category": category, "query": query}
        return render_to_string("marketplace/includes/product_grid.html", context)

    context = {
        "form": form,
        "categories": categories,
        "category": category,
        "query": query,
        "grid": catalog_cached(("product_grid", slug, query, page_number), grid),
    }
    return render(request, "marketplace/product_list.html", context)


@dataclass(frozen=True)
class ProductPage:
    """A product and the parts of its page every shopper sees alike, rendered once per fragment
    lifetime: the per-request rest (delivery date, stock form, cart count) is rendered around them."""

    product: Product
    gallery: str
    heading: str


def _product_page(*, farmer_slug: str, product_slug: str) -> ProductPage:
    product = selectors.product_get(farmer_slug=farmer_slug, product_slug=product_slug)
    context = {"product": product}
    return ProductPage(
        product=product,
        gallery=render_to_string("marketplace/includes/product_gallery.html", context),
        heading=render_to_string("marketplace/includes/product_heading.html", context),
    )


@require_GET
@kept_for_everyone(version=selectors.product_page_version)
def product_detail(request: HttpRequest, farmer_slug: str, product_slug: str) -> HttpResponse:
    page = catalog_cached(
        ("product_page", farmer_slug, product_slug),
        lambda: _product_page(farmer_slug=farmer_slug, product_slug=product_slug),
    )
    context = {
        "page": page,
        "product": page.product,
        "delivery_date": selectors.delivery_date_for(farmer=page.product.farmer),
        "in_cart": cart_items(request.session).get(page.product.pk, 0),
    }
    return render(request, "marketplace/product_detail.html", context)


@require_GET
@kept_for_everyone
def farmer_list(request: HttpRequest) -> HttpResponse:
    farmers = catalog_cached(("farm_directory",), selectors.farmer_list)
    return render(request, "marketplace/farmer_list.html", {"farmers": farmers})


@require_GET
@kept_for_everyone
def farmer_detail(request: HttpRequest, slug: str) -> HttpResponse:
    farmer = catalog_cached(("farmer", slug), lambda: selectors.farmer_get(slug=slug))
    page_number = _page_number(request)

    def grid() -> str:
        page = selectors.product_search_page(farmer=farmer, page=page_number)
        return render_to_string("marketplace/includes/product_grid.html", {"page": page})

    context = {
        "farmer": farmer,
        "delivery_date": selectors.delivery_date_for(farmer=farmer),
        "grid": catalog_cached(("farm_grid", slug, page_number), grid),
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
