"""Every test runs against the test profile of the local stack: real servers on their own ports."""

import pytest
from django.core.management import call_command

from devstack import config, stack


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
