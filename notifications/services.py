"""Telling people about orders: the shopper's confirmation (email and SMS) and each farmer's new-order
email with their own lines.

No duplicate notification, even from a consumer killed mid-batch. A mail server or SMS gateway
cannot take part in our transaction, so no ordering of "send" and "commit" is exactly once on its
own: commit first and a crash loses the message; send first and a crash sends it again. Two things
together close the gap:

- Each message is recorded as a `Delivery` the moment it has been taken, committed on its own (the
  notifications handler runs outside the event's transaction, see `events.processing`). An event
  handled again sends only what has no record, so a crash costs at most the one message that was
  taken in the instant before its record committed.
- That one message goes out again with the same identity: a Message-ID derived from the event and
  the notice, an SMS Idempotency-Key likewise. Only the receiver can drop such a copy, and real ones
  do (mail stores file one message per Message-ID, SMS gateways honour idempotency keys); the local
  SMTP sink and the recording SMS provider do the same, so each mailbox holds each mail once.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from events.contracts import OrderLine, OrderPlaced
from marketplace.models import Farmer
from notifications.models import Delivery
from notifications.sms import sms_provider


def order_placed_notify(*, event_id: str, order: OrderPlaced) -> None:
    """Send the confirmation email and SMS to the shopper and a new-order email to each farmer, each
    unless its `Delivery` says it was sent already.

    Call it outside a transaction: each delivery record must commit as soon as its message is taken.
    """
    sent = set(Delivery.objects.using("default").filter(event_id=event_id).values_list("idempotency_key", flat=True))
    farmers = Farmer.objects.using("default").select_related("user").filter(id__in=order.lines_by_farmer())
    farmer_emails = [
        _farmer_email(event_id=event_id, order=order, farmer=farmer, lines=order.lines_by_farmer()[farmer.id])
        for farmer in farmers
        if farmer.user.email
    ]
    sms_key = f"{event_id}:order-confirmation"
    # The shopper's confirmation first, then their SMS, then the farmers': each recorded as soon as
    # the server has taken it, over one SMTP connection opened only if a mail is still to go.
    connection = get_connection()
    try:
        _email_send(
            event_id=event_id,
            message=_confirmation_email(event_id=event_id, order=order),
            sent=sent,
            connection=connection,
        )
        if order.phone and sms_key not in sent:
            sms_provider().send(
                to=order.phone,
                body=f"UrbanHarvest: order {order.reference} confirmed for delivery on "
                f"{order.delivery_date:%a %b %-d}. Total ${order.total}.",
                idempotency_key=sms_key,
            )
            _delivered(event_id=event_id, channel=Delivery.Channel.SMS, recipient=order.phone, idempotency_key=sms_key)
        for message in farmer_emails:
            _email_send(event_id=event_id, message=message, sent=sent, connection=connection)
    finally:
        connection.close()


def _email_send(*, event_id: str, message: EmailMultiAlternatives, sent: set[str], connection) -> None:
    message_id = message.extra_headers["Message-ID"]
    if message_id in sent:
        return
    connection.open()
    connection.send_messages([message])
    _delivered(event_id=event_id, channel=Delivery.Channel.EMAIL, recipient=message.to[0], idempotency_key=message_id)


def _delivered(*, event_id: str, channel: str, recipient: str, idempotency_key: str) -> None:
    """Record one delivery: a single INSERT, committed at once (no transaction is open)."""
    Delivery.objects.using("default").bulk_create(
        [Delivery(event_id=event_id, channel=channel, recipient=recipient, idempotency_key=idempotency_key)],
        ignore_conflicts=True,
    )


def _email(*, event_id: str, kind: str, to: str, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"notifications/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        # One Message-ID per event and notice, the same every time it is sent: a mail store keeps one.
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
