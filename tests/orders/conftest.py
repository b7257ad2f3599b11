import pytest
from django.db import connections

from devstack import stack


@pytest.fixture
def shard_0_stopped(test_stack, transactional_db):
    """The shard_0 server really stopped for the test, started again afterwards."""
    server = stack.shard(test_stack, 0)
    connections["shard_0"].close()
    server.stop()
    yield
    server.start()
    connections["shard_0"].close()
