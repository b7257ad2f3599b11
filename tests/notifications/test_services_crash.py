"""A notifications consumer killed in the worst instant, after the mail server took a mail and before
its delivery record committed, then the event handled again: the mailbox holds each mail once."""

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from devstack.smtp_sink import DROPPED
from notifications.models import Delivery, RecordedSms
from tests.eventstack import mail_to, order_placed_payload
from tests.marketplace.factories import FarmerFactory

# Handles one order_placed event as the notifications consumer does, with the real SMTP backend; with
# argv[1] == "die" the process dies (os._exit: no cleanup, like SIGKILL) as soon as the server has
# taken the first mail, before its record.
HANDLE_EVENT = """
import json, os, sys, django
django.setup()
from events.clients import Event
from events.processing import consumer_handler, event_process
from notifications import services

record = services._delivered
def die_after_the_first_mail(**delivery):
    if delivery["channel"] == "email":
        os._exit(137)
    record(**delivery)

if sys.argv[1] == "die":
    services._delivered = die_after_the_first_mail
event = Event(id=sys.argv[2], type="order_placed", key="k", payload=json.loads(sys.argv[3]), headers={})
event_process(group="notifications", event=event, handler=consumer_handler("notifications"))
"""


def handle(mode: str, event_id: str, payload: dict) -> int:
    child = subprocess.run(
        [sys.executable, "-c", HANDLE_EVENT, mode, event_id, json.dumps(payload)],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "urbanharvest.settings.test"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode in (0, 137), child.stderr
    return child.returncode


@pytest.mark.django_db(databases=["default"], transaction=True)
def test_a_mail_taken_just_before_the_crash_is_resent_and_dropped_by_the_mailbox(test_stack):
    farmer = FarmerFactory()
    payload = order_placed_payload(farmers=[farmer], phone="+15550142")
    event_id = str(uuid.uuid4())

    died = handle("die", event_id, payload)
    recorded_before_the_crash = Delivery.objects.filter(event_id=event_id).count()
    redelivered = handle("run", event_id, payload)

    assert (died, redelivered) == (137, 0)
    assert recorded_before_the_crash == 0
    assert Delivery.objects.filter(event_id=event_id).count() == 3
    assert len(mail_to(test_stack.maildir, payload["email"])) == 1
    assert len(mail_to(test_stack.maildir, farmer.user.email)) == 1
    assert RecordedSms.objects.filter(to="+15550142").count() == 1
    log = (test_stack.logs / "smtp.log").read_text()
    assert f"{DROPPED} <{event_id}.confirmation@urbanharvest>" in log
