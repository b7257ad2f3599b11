"""Every test runs against the test profile of the local stack: real servers on their own ports."""

import pytest
from django.core.management import call_command
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from devstack import config, stack
from urbanharvest import telemetry

# Fixtures for the relay and consumer tests: real processes, topic readers, fake outside services.
pytest_plugins = ["tests.eventstack"]


@pytest.fixture(scope="session", autouse=True)
def test_stack() -> config.Profile:
    """The test stack, started if it is not running (`make test` starts it fresh), with the static
    files published to its S3: every page links them through the manifest there."""
    profile = config.profile("test")
    stack.up(profile, quiet=True)
    call_command("collectstatic", interactive=False, verbosity=0)
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
    replica = stack.replica(test_stack)

    def wait(timeout: float = 10.0) -> None:
        replica.wait_for_replay(timeout=timeout)

    return wait


@pytest.fixture(autouse=True)
def test_code_reads_the_primary():
    """A test's own ORM reads see what it just wrote, as a request pinned after its write would;
    pages fetched through the test client or a live server route as in production."""
    from routers.replica import reads_from_primary

    with reads_from_primary():
        yield


@pytest.fixture(autouse=True)
def replica_health_reset():
    """Each test starts believing the replica healthy, as a fresh process would."""
    from routers.replica import replica_health

    replica_health.reset()
    yield
    replica_health.reset()


CATALOG_CALLS = (
    "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE %s"
)


@pytest.fixture
def catalog_statements(test_stack, replica_caught_up):
    """The servers' own count of statements that touched a catalog table since `reset()`, read from
    pg_stat_statements on the primary and on the replica."""
    primary, replica = stack.primary(test_stack), stack.replica(test_stack)
    primary.fetch_one("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", dbname=config.DATABASE_NAME)
    replica_caught_up()

    class CatalogStatements:
        def __init__(self) -> None:
            self.primary, self.replica = primary, replica

        def reset(self) -> None:
            for server in (primary, replica):
                server.fetch_one("SELECT pg_stat_statements_reset()", dbname=config.DATABASE_NAME)

        def catalog_calls(self, server) -> int:
            return int(server.fetch_one(CATALOG_CALLS, ("%marketplace_%",), dbname=config.DATABASE_NAME)[0])

    return CatalogStatements()


@pytest.fixture(autouse=True)
def catalog_cache_cleared():
    """Cached catalog fragments and pages from one test's data must not show in the next test's pages."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=False):
        cache.clear()


@pytest.fixture(scope="session", autouse=True)
def span_exporter() -> InMemorySpanExporter:
    """The test process traces like a web worker does, into memory (the provider is set once per
    process, so for the whole session)."""
    exporter = InMemorySpanExporter()
    telemetry.configure(service_name="urbanharvest-tests", processor=SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(span_exporter: InMemorySpanExporter) -> InMemorySpanExporter:
    """The spans finished during this test (`spans.get_finished_spans()`)."""
    span_exporter.clear()
    return span_exporter
