import pytest

from devstack import servers, stack


@pytest.fixture
def stopped_replica(test_stack):
    """The test stack's replica, stopped for one test and streaming again after it."""
    stack.replica(test_stack).stop()
    yield
    stack.replica(test_stack).ensure_up()
    stack.wait_for_streaming(test_stack)


@pytest.fixture
def stopped_broker(test_stack):
    """The broker, stopped for one test (it keeps messages in memory: they are lost)."""
    servers.kafka(test_stack).stop(test_stack)
    yield
    servers.kafka(test_stack).ensure_up(test_stack)
