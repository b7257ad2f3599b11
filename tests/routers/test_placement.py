import pytest
from django.db import connections

from routers.placement import shard_aliases


def tables(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        return set(connections[alias].introspection.table_names(cursor))


def applied_migrations(alias: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        return cursor.fetchone()[0]


@pytest.mark.django_db(databases="__all__")
def test_primary_models_are_migrated_on_the_primary_only():
    assert {"auth_user", "django_session"} <= tables("default")
    for alias in shard_aliases():
        assert not {"auth_user", "django_session"} & tables(alias)


@pytest.mark.django_db(databases="__all__")
def test_every_shard_has_recorded_the_same_migrations_as_the_primary():
    for alias in shard_aliases():
        assert applied_migrations(alias) == applied_migrations("default")
