import datetime as dt

import pytest
from django.utils import timezone

from outbox.models import OutboxEvent
from outbox.services import outbox_prune
from tests.eventstack import order_placed_payload, order_placed_record
from tests.marketplace.factories import FarmerFactory


@pytest.mark.django_db(databases=["default", "shard_0"])
def test_pruning_removes_only_events_published_before_the_retention_period():
    payload = order_placed_payload(farmers=[FarmerFactory()])
    old, recent, pending = (order_placed_record(payload=payload) for _ in range(3))
    OutboxEvent.objects.using("shard_0").filter(id=old.id).update(published_at=timezone.now() - dt.timedelta(days=8))
    OutboxEvent.objects.using("shard_0").filter(id=recent.id).update(published_at=timezone.now() - dt.timedelta(days=1))

    removed = outbox_prune(using="shard_0", older_than=dt.timedelta(days=7))

    remaining = set(OutboxEvent.objects.using("shard_0").values_list("id", flat=True))
    assert removed == 1
    assert remaining >= {recent.id, pending.id}
    assert old.id not in remaining
