"""A checkout in a real Chromium, followed through the outbox, the relay and the consumer groups."""

import time
import uuid
from decimal import Decimal

import pytest

from events.models import ProcessedEvent
from fulfilment.models import DeliveryManifest
from notifications.models import RecordedSms
from tests.browser.test_checkout import add_to_cart
from tests.eventstack import groups_skip_history, mail_to, text_of, wait_for
from tests.marketplace.factories import FarmerFactory
from tests.orders.factories import ProductFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True),
]


def test_a_checkout_sends_each_email_and_sms_once_and_updates_the_farmers_manifest(
    live_server, page, processes, test_stack
):
    farmer = FarmerFactory(farm_name="Orchard Hill")
    product = ProductFactory(farmer=farmer, name="Honeycrisp apples", price=Decimal("2.75"), stock=20)
    shopper = f"pat-{uuid.uuid4().hex[:8]}@example.com"
    groups_skip_history(["notifications", "manifests"])
    for command in ("relay_outbox", "consume_notifications", "consume_manifests"):
        processes(command)

    page.goto(live_server.url + "/accounts/register/")
    page.fill("input[name=name]", "Pat Shopper")
    page.fill("input[name=email]", shopper)
    page.fill("input[name=password]", "a long passphrase")
    page.click("button[type=submit]")
    page.goto(live_server.url + "/")
    add_to_cart(page, product, 4)
    page.click("text=Checkout")
    page.fill("input[name=phone]", "555 0100 200")
    page.fill("textarea[name=address]", "1 Orchard Lane")
    page.click("text=Review order")
    page.click("#place-order")
    reference = page.locator(".reference").inner_text()

    wait_for(lambda: ProcessedEvent.objects.filter(group="manifests").exists(), timeout=60, what="the manifest")
    wait_for(lambda: mail_to(test_stack.maildir, farmer.user.email), timeout=60, what="the farmer's email")
    time.sleep(2)  # room for any duplicate to arrive
    [confirmation] = mail_to(test_stack.maildir, shopper)
    [farmer_mail] = mail_to(test_stack.maildir, farmer.user.email)
    [sms] = RecordedSms.objects.filter(body__contains=reference)
    [manifest] = DeliveryManifest.objects.filter(farmer=farmer)
    assert reference in confirmation["Subject"]
    assert "4 x Honeycrisp apples" in text_of(confirmation)
    assert "4 x Honeycrisp apples" in text_of(farmer_mail)
    assert sms.body.startswith(f"UrbanHarvest: order {reference} confirmed")
    assert (manifest.order_count, manifest.line_count) == (1, 1)
