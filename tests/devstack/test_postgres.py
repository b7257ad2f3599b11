import time
import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connections

from routers.placement import shard_aliases


def scalar(alias: str, sql: str):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


@pytest.mark.django_db(databases=["default", "replica"])
def test_the_replica_is_a_hot_standby_and_the_primary_is_not():
    assert scalar("replica", "SELECT pg_is_in_recovery()") is True
    assert scalar("default", "SELECT pg_is_in_recovery()") is False


@pytest.mark.django_db(databases=["default", "replica"])
def test_the_replica_rejects_writes():
    with pytest.raises(DatabaseError, match="read-only transaction"):
        scalar("replica", "CREATE TABLE refused (id int)")


@pytest.mark.django_db(databases=["default", "replica"], transaction=True)
def test_a_row_committed_on_the_primary_streams_to_the_replica():
    name = f"probe-{uuid.uuid4()}"
    Group.objects.using("default").create(name=name)

    deadline = time.monotonic() + 5
    while not Group.objects.using("replica").filter(name=name).exists():
        assert time.monotonic() < deadline, "the row never reached the replica"
        time.sleep(0.01)


@pytest.mark.django_db(databases="__all__")
def test_the_replica_is_a_copy_of_the_primary_and_each_shard_its_own_server():
    identity = "SELECT system_identifier FROM pg_control_system()"
    primary = scalar("default", identity)
    shards = [scalar(alias, identity) for alias in shard_aliases()]

    assert scalar("replica", identity) == primary
    assert len(shards) >= 2
    assert len({primary, *shards}) == 1 + len(shards)
