import pytest
from django.db import connections

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
