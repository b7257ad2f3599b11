"""The stack's SMTP sink keeps one copy of a mail, as a mail store does, and says when it drops one."""

import uuid

from django.core.mail import EmailMessage, get_connection

from devstack.smtp_sink import DROPPED
from tests.eventstack import mail_to


def send(*, to: str, message_id: str, subject: str) -> None:
    # The stack's real SMTP server, not the test runner's locmem backend.
    connection = get_connection("django.core.mail.backends.smtp.EmailBackend")
    message = EmailMessage(subject, "body", "orders@urbanharvest.local", [to], headers={"Message-ID": message_id})
    connection.send_messages([message])


def test_a_mail_sent_again_with_its_message_id_is_accepted_and_filed_once(test_stack):
    to, message_id = f"shopper-{uuid.uuid4().hex[:12]}@example.com", f"<{uuid.uuid4()}.confirmation@urbanharvest>"

    send(to=to, message_id=message_id, subject="first")
    send(to=to, message_id=message_id, subject="again")
    send(to=to, message_id=f"<{uuid.uuid4()}.confirmation@urbanharvest>", subject="another mail")

    assert sorted(message["Subject"] for message in mail_to(test_stack.maildir, to)) == ["another mail", "first"]
    assert f"{DROPPED} {message_id} to {to}" in (test_stack.logs / "smtp.log").read_text()
