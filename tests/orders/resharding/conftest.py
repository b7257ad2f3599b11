import pytest
from django.core.management import call_command
from django.db import connections

from devstack import stack
from routers.sharding import layout_forget


@pytest.fixture
def legacy_layout(settings, transactional_db):
    """The legacy layout (ORDERS_SHARDED off: every order on the primary); each process's copy of
    the layout is forgotten before and after, since the test's moves are flushed with its data."""
    settings.ORDERS_SHARDED = False
    layout_forget()
    yield
    layout_forget()
    connections.close_all()


def orders_on(alias: str) -> set[int]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT id FROM orders_order")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def two_shards(settings, transactional_db):
    """Orders settled on shard_0 and shard_1, the map pinned so that adding a server moves nothing."""
    settings.SHARD_MAP = "0-511=shard_0,512-1023=shard_1"
    layout_forget()
    yield
    layout_forget()
    connections.close_all()


@pytest.fixture
def third_shard(test_stack, settings, django_db_blocker):
    """A third shard server (the launcher's shard_2), migrated and empty, known to this process as
    `shard_2` as if its URL had been added to SHARD_DATABASE_URLS; stopped afterwards.

    Django's test case checks every query against the aliases it was declared with, which cannot
    name one added at run time, so this fixture opens the databases itself and flushes them after.
    """
    server = stack.shard(test_stack, 2)
    server.ensure_up()
    connections.settings["shard_2"] = {**connections.settings["shard_1"], "PORT": server.port}
    settings.SHARD_MAP = "0-511=shard_0,512-1023=shard_1"
    layout_forget()
    with django_db_blocker.unblock():
        call_command("migrate", database="shard_2", verbosity=0)
        try:
            yield "shard_2"
        finally:
            for alias in ("default", "shard_0", "shard_1", "shard_2"):
                call_command("flush", database=alias, interactive=False, verbosity=0)
            layout_forget()
            connections.close_all()
    del connections.settings["shard_2"]
    server.stop()
