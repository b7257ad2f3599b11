"""The notifications a placed order sends, through Django's mail outbox (the test runner's backend)."""

import pytest
from django.core import mail

from events.contracts import order_placed_decode
from notifications.models import Delivery, RecordedSms
from notifications.services import order_placed_notify
from tests.eventstack import order_placed_payload
from tests.marketplace.factories import FarmerFactory


@pytest.mark.django_db(databases=["default"])
def test_the_shopper_gets_a_text_and_html_confirmation_and_each_farmer_only_their_lines():
    hillside, riverbend = FarmerFactory(farm_name="Hillside"), FarmerFactory(farm_name="Riverbend")
    payload = order_placed_payload(farmers=[hillside, riverbend], phone="+15550199")

    order_placed_notify(event_id="6f1c0c8e-6d1e-4c59-9d3e-6b1f6d7e2a10", order=order_placed_decode(payload))

    by_recipient = {message.to[0]: message for message in mail.outbox}
    confirmation = by_recipient[payload["email"]]
    assert confirmation.subject == f"Your UrbanHarvest order {payload['reference']}"
    assert f"Total: ${payload['total']}" in confirmation.body
    assert confirmation.alternatives[0].mimetype == "text/html"
    assert "Heirloom tomatoes 0" in by_recipient[hillside.user.email].body
    assert "Heirloom tomatoes 1" not in by_recipient[hillside.user.email].body
    assert "Heirloom tomatoes 1" in by_recipient[riverbend.user.email].body
    assert RecordedSms.objects.get().to == "+15550199"


@pytest.mark.django_db(databases=["default"])
def test_an_order_without_a_phone_number_sends_no_sms_and_a_farmer_without_email_no_email():
    farmer = FarmerFactory(user__email="")
    payload = order_placed_payload(farmers=[farmer], phone="")

    order_placed_notify(event_id="0b7e2f5a-3c44-4c1a-8e0c-1f2a3b4c5d6e", order=order_placed_decode(payload))

    assert [message.to for message in mail.outbox] == [[payload["email"]]]
    assert not RecordedSms.objects.exists()


@pytest.mark.django_db(databases=["default"])
def test_an_event_handled_again_sends_only_what_has_no_delivery_record():
    farmer = FarmerFactory()
    payload = order_placed_payload(farmers=[farmer], phone="+15550199")
    event_id = "3d0c9a52-77b4-4f8e-9a0e-5c1d2e3f4a5b"
    # As if a consumer died right after the mail server took the confirmation and recorded it.
    Delivery.objects.create(
        event_id=event_id,
        channel="email",
        recipient=payload["email"],
        idempotency_key=f"<{event_id}.confirmation@urbanharvest>",
    )

    order_placed_notify(event_id=event_id, order=order_placed_decode(payload))
    order_placed_notify(event_id=event_id, order=order_placed_decode(payload))

    assert [message.to for message in mail.outbox] == [[farmer.user.email]]
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{event_id}.farmer-{farmer.id}@urbanharvest>"
    assert RecordedSms.objects.filter(to="+15550199").count() == 1
    assert sorted(Delivery.objects.filter(event_id=event_id).values_list("channel", flat=True)) == [
        "email",
        "email",
        "sms",
    ]
