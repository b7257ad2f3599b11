"""Every test runs against the test profile of the local stack: real servers on their own ports."""

import pytest
from django.core.management import call_command

from devstack import config, processes, stack


@pytest.fixture(scope="session", autouse=True)
def test_stack() -> config.Profile:
    """The test stack, started if it is not running (`make test` starts it fresh)."""
    profile = config.profile("test")
    stack.up(profile, quiet=True)
    return profile


@pytest.fixture(scope="session")
def django_db_setup(test_stack, django_db_blocker) -> None:
    """Migrate the stack's own databases rather than making test copies: the stack is dedicated to
    the tests, and its replica streams the primary's real database, which a copy would not be."""
    with django_db_blocker.unblock():
        call_command("migrate_all", verbosity=0)


@pytest.fixture
def replica_caught_up(test_stack):
    """A function that waits until the replica has replayed everything the primary committed."""
    primary, replica = stack.primary(test_stack), stack.replica(test_stack)

    def wait(timeout: float = 10.0) -> None:
        # The insert position: with synchronous_commit off, a commit can be past the write position.
        target = primary.fetch_one("SELECT pg_current_wal_insert_lsn()")[0]
        caught_up = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
        if not processes.wait_until(lambda: replica.fetch_one(caught_up, (target,))[0], timeout=timeout, interval=0.02):
            raise AssertionError(f"the replica did not replay up to {target} within {timeout}s")

    return wait


@pytest.fixture(autouse=True)
def replica_health_reset():
    """Each test starts believing the replica healthy, as a fresh process would."""
    from routers.replica import replica_health

    replica_health.reset()
    yield
    replica_health.reset()
