"""`make run`: the dev profile of the local stack, unless the environment points elsewhere."""

import os

from devstack import config

config.apply_defaults(config.profile("dev"))
os.environ.setdefault("DJANGO_SECRET_KEY", "local-development-only-not-a-secret")

from urbanharvest.settings.base import *  # noqa: E402,F403

DEBUG = True
