"""Whole pages kept for visitors with nothing personal on them: each still gets their own CSRF token,
nobody with a session, a cart, a login or a read-your-writes pin ever gets a kept page, and a product
page past its lifetime is revalidated (kept while unchanged, rendered again on any change)."""

import re
import time

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from marketplace.fragments import catalog_cache_seconds
from marketplace.models import Category, Farmer, Product, ProductImage
from marketplace.stock import stock_take
from routers.middleware import PIN_COOKIE
from routers.replica import replica_health
from tests.marketplace.admin_forms import product_form_data
from tests.marketplace.factories import PASSWORD, ProductFactory, ProductImageFactory, farmer_make

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def carrots(replica_caught_up):
    product = ProductFactory(farmer=farmer_make(), name="Carrots", slug="carrots", stock=10)
    replica_caught_up()
    return product


def _add_to_cart(visitor: Client, product: Product, token: str):
    return visitor.post("/cart/add/", {"product": product.pk, "quantity": 1, "csrfmiddlewaretoken": token})


def test_every_visitor_of_a_kept_page_gets_their_own_working_csrf_token(carrots):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_page = first.get(carrots.get_absolute_url())

    with CaptureQueriesContext(connections["replica"]) as replica:
        second_page = second.get(carrots.get_absolute_url())

    first_token, second_token = TOKEN.search(first_page.text)[1], TOKEN.search(second_page.text)[1]
    assert len(replica) == 0  # the second visitor got the kept page
    assert first_token != second_token
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    assert "<csrf-token" not in second_page.text
    assert _add_to_cart(second, carrots, first_token).status_code == 403
    assert _add_to_cart(second, carrots, second_token).status_code == 302
    assert _add_to_cart(first, carrots, first_token).status_code == 302


def test_a_shopper_with_a_cart_gets_their_own_page_not_the_kept_one(carrots):
    Client().get(carrots.get_absolute_url())  # a first visitor's page is kept
    buyer = Client()
    buyer.get(carrots.get_absolute_url())
    _add_to_cart(buyer, carrots, "")

    page = buyer.get(carrots.get_absolute_url())
    stranger_page = Client().get(carrots.get_absolute_url())

    assert "1 in your cart" in page.text and "Cart (1)" in page.text
    assert "in your cart" not in stranger_page.text and "Cart (1)" not in stranger_page.text


def test_a_signed_in_shoppers_page_is_never_kept_for_anyone_else(carrots, django_user_model):
    django_user_model.objects.create_user(username="ann", password=PASSWORD)
    ann = Client()
    ann.login(username="ann", password=PASSWORD)
    Client().get("/")  # a visitor's home page is kept

    ann_home = ann.get("/")
    visitor_home = Client().get("/")

    assert "Sign out" in ann_home.text
    assert "Sign out" not in visitor_home.text and "Sign in" in visitor_home.text


def test_a_pin_cookie_alone_reads_the_primary_past_the_kept_page(carrots):
    Client().get(carrots.get_absolute_url())  # the page as it was is kept
    farmer = Client()
    farmer.login(username=carrots.farmer.user.username, password=PASSWORD)
    saved = farmer.post(f"/admin/marketplace/product/{carrots.pk}/change/", product_form_data(carrots, name="Purple"))
    pinned_only = Client()  # the pin, without the session (a farmer who just signed out)
    pinned_only.cookies[PIN_COOKIE] = saved.cookies[PIN_COOKIE].value

    page = pinned_only.get(carrots.get_absolute_url())

    assert "Purple" in page.text


def test_a_kept_page_lives_no_longer_than_the_oldest_fragment_it_was_built_from(carrots, settings, replica_caught_up):
    settings.CATALOG_CACHE_SECONDS = 1.5
    with_session = Client()
    _add_to_cart(with_session, carrots, "")
    with_session.get(carrots.get_absolute_url())  # the product's fragment is kept from now on
    time.sleep(1.0)
    Client().get(carrots.get_absolute_url())  # a page built from that 1 s old fragment is kept
    Product.objects.filter(pk=carrots.pk).update(name="Purple Carrots")
    replica_caught_up()
    time.sleep(0.7)  # past the fragment's lifetime, well within the page's own

    page = Client().get(carrots.get_absolute_url())

    assert "Purple Carrots" in page.text


def test_the_lifetime_leaves_room_for_the_replicas_lag_growing_between_health_checks(settings):
    settings.CATALOG_CACHE_SECONDS, settings.REPLICA_MAX_LAG_SECONDS = 10, 5
    settings.REPLICA_HEALTH_CHECK_SECONDS = 2
    replica_health.last_lag = 0.5

    assert catalog_cache_seconds() == pytest.approx(2.5)


@pytest.fixture
def short_lifetime(settings):
    """Kept pages fresh for 0.5 s, and no replica health check to count among a test's queries."""
    settings.CATALOG_CACHE_SECONDS = 0.5
    settings.REPLICA_HEALTH_CHECK_SECONDS, settings.REPLICA_MAX_LAG_SECONDS = 30, 60


def _visit(url: str) -> tuple:
    """A new visitor's page, how many product page versions it read on the replica (1 for a
    revalidation that kept the page; one more when the page was rendered, which reads its own
    first), and whether it was rendered (read the product itself)."""
    with CaptureQueriesContext(connections["replica"]) as replica:
        page = Client().get(url)
    versions_read = sum("xmin" in query["sql"] for query in replica)
    rendered = any("marketplace_product" in query["sql"] and "xmin" not in query["sql"] for query in replica)
    return page, versions_read, rendered, len(replica)


def test_a_product_page_past_its_lifetime_is_kept_for_another_with_one_query_while_unchanged(carrots, short_lifetime):
    url = carrots.get_absolute_url()
    first = Client().get(url)
    time.sleep(0.6)

    revalidated, versions_read, rendered, queries = _visit(url)
    *_, queries_within_the_new_lifetime = _visit(url)

    assert revalidated.status_code == 200
    assert TOKEN.sub("", revalidated.text) == TOKEN.sub("", first.text)
    assert (versions_read, rendered, queries) == (1, False, 1)
    assert queries_within_the_new_lifetime == 0


def _stock_taken(product):
    stock_take(quantities={product.pk: 3})


def _photo_added(product):
    ProductImageFactory(product=product, alt_text="Freshly pulled")


def _photos_reordered(product):
    ProductImage.objects.filter(product=product, alt_text="First").update(position=2)


def _farm_renamed(product):
    Farmer.objects.filter(pk=product.farmer_id).update(farm_name="Hillside Acres")


def _category_renamed(product):
    Category.objects.filter(pk=product.category_id).update(name="Roots")


@pytest.mark.parametrize(
    ("change", "seen"),
    [
        (_stock_taken, lambda text: "7 available" in text),
        (_photo_added, lambda text: 'alt="Freshly pulled"' in text),
        (_photos_reordered, lambda text: text.index('alt="Second"') < text.index('alt="First"')),
        (_farm_renamed, lambda text: "Hillside Acres" in text),
        (_category_renamed, lambda text: "Roots" in text),
    ],
)
def test_any_change_to_what_a_product_page_shows_renders_it_again_past_its_lifetime(
    carrots, short_lifetime, replica_caught_up, change, seen
):
    ProductImageFactory(product=carrots, alt_text="First", position=0)
    ProductImageFactory(product=carrots, alt_text="Second", position=1)
    replica_caught_up()
    Client().get(carrots.get_absolute_url())  # kept as it is
    change(carrots)
    replica_caught_up()
    time.sleep(0.6)

    page, versions_read, rendered, _ = _visit(carrots.get_absolute_url())

    assert (versions_read, rendered) == (2, True)  # revalidated, found changed, rendered again
    assert seen(page.text)


def test_a_page_built_while_the_replica_is_out_of_service_only_lives_its_lifetime(carrots, short_lifetime):
    replica_health.mark_unusable("taken out for the test")
    Client().get(carrots.get_absolute_url())  # built from the primary: no version read
    replica_health.reset()
    time.sleep(0.6)

    page, versions_read, rendered, _ = _visit(carrots.get_absolute_url())

    assert page.status_code == 200
    assert (versions_read, rendered) == (1, True)  # not revalidated: rendered again, its version first


def test_a_product_taken_off_sale_or_its_last_photo_deleted_shows_past_the_kept_pages_lifetime(
    carrots, short_lifetime, replica_caught_up
):
    photo = ProductImageFactory(product=carrots, alt_text="Freshly pulled")
    replica_caught_up()
    assert 'alt="Freshly pulled"' in Client().get(carrots.get_absolute_url()).text
    ProductImage.objects.filter(pk=photo.pk).delete()
    replica_caught_up()
    time.sleep(0.6)
    assert 'alt="Freshly pulled"' not in Client().get(carrots.get_absolute_url()).text

    Product.objects.filter(pk=carrots.pk).update(is_active=False)
    replica_caught_up()
    time.sleep(0.6)

    assert Client().get(carrots.get_absolute_url()).status_code == 404


def test_a_page_built_from_a_fragment_older_than_its_version_is_not_kept_past_its_lifetime(
    carrots, settings, replica_caught_up
):
    settings.CATALOG_CACHE_SECONDS = 1.0
    with_session = Client()
    _add_to_cart(with_session, carrots, "")
    with_session.get(carrots.get_absolute_url())  # the product's fragment is kept, name and all
    Product.objects.filter(pk=carrots.pk).update(name="Purple Carrots")
    replica_caught_up()
    # Built from that fragment (its old name), after the rename: the row versions it would be kept
    # with are the renamed product's.
    assert "Purple Carrots" not in Client().get(carrots.get_absolute_url()).text
    time.sleep(1.1)

    page = Client().get(carrots.get_absolute_url())

    assert "Purple Carrots" in page.text
