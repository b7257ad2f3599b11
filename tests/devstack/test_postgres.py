import time
import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connections

from devstack import config, postgres
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


def test_a_data_folder_made_for_other_ports_is_refused_saying_how_to_go_on(tmp_path):
    made = config.Profile(name="dev", root=tmp_path, port_base=24000, shards=1)
    first = postgres.Cluster(made, "primary", made.port(config.PRIMARY))
    first.data.mkdir(parents=True)
    first.write_settings()  # what init leaves beside the data: the server's port among its settings
    moved = config.Profile(name="dev", root=tmp_path, port_base=24100, shards=1)

    with pytest.raises(RuntimeError, match="set up for port 24000, not 24100: use the UH_STACK_PORT_BASE"):
        postgres.Cluster(moved, "primary", moved.port(config.PRIMARY)).port_check()
