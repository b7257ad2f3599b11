"""`make test`: the test profile of the local stack, on its own ports and data folder."""

import os

from devstack import config

config.apply_defaults(config.profile("test"))
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-a-secret")

from urbanharvest.settings.base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Retries that would wait seconds in production wait moments in the tests.
CONSUMER_RETRY_BACKOFF_S = 0.05
