"""Telling people about orders: the shopper's confirmation (email and SMS) and each farmer's new-order
email with their own lines."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string

from events.contracts import OrderLine, OrderPlaced
from marketplace.models import Farmer
from notifications.sms import sms_provider


def order_placed_notify(*, event_id: str, order: OrderPlaced) -> None:
    """Send the confirmation email and SMS to the shopper and a new-order email to each farmer.

    Runs inside the consumer's transaction: the recorded SMS commits with the processed-event row.
    The emails go last, over one connection: SMTP cannot take part in the transaction, so a crash
    between the mail server accepting them and the commit sends them again on redelivery (their
    Message-ID stays the same, so a mailbox can tell). Any other crash sends each exactly once.
    """
    farmers = Farmer.objects.using("default").select_related("user").filter(id__in=order.lines_by_farmer())
    messages = [_confirmation_email(event_id=event_id, order=order)]
    messages += [
        _farmer_email(event_id=event_id, order=order, farmer=farmer, lines=order.lines_by_farmer()[farmer.id])
        for farmer in farmers
        if farmer.user.email
    ]
    if order.phone:
        sms_provider().send(
            to=order.phone,
            body=f"UrbanHarvest: order {order.reference} confirmed for delivery on {order.delivery_date:%a %b %-d}. "
            f"Total ${order.total}.",
            idempotency_key=f"{event_id}:order-confirmation",
        )
    connection = get_connection()
    try:
        connection.send_messages(messages)
    except Exception:
        connection.close()
        raise
    # QUIT after the commit: every round trip between the mail server's acceptance and the commit
    # widens the window in which a crash would send these again.
    transaction.on_commit(connection.close, using="default")


def _email(*, event_id: str, kind: str, to: str, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"notifications/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        # One Message-ID per event and recipient: a mailbox that sees it twice can tell it is a copy.
        headers={"Message-ID": f"<{event_id}.{kind}@urbanharvest>"},
    )
    message.attach_alternative(render_to_string(f"notifications/email/{template}.html", context), "text/html")
    return message


def _confirmation_email(*, event_id: str, order: OrderPlaced) -> EmailMultiAlternatives:
    return _email(
        event_id=event_id,
        kind="confirmation",
        to=order.email,
        subject=f"Your UrbanHarvest order {order.reference}",
        template="order_confirmation",
        context={"order": order},
    )


def _farmer_email(
    *, event_id: str, order: OrderPlaced, farmer: Farmer, lines: list[OrderLine]
) -> EmailMultiAlternatives:
    return _email(
        event_id=event_id,
        kind=f"farmer-{farmer.id}",
        to=farmer.user.email,
        subject=f"New order {order.reference} for {order.delivery_date:%a %b %-d}",
        template="farmer_new_order",
        context={"order": order, "farmer": farmer, "lines": lines},
    )
