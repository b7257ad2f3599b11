"""The dev stack's settings as production would serve them (DEBUG off), plus the floor view."""

from urbanharvest.settings.local import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
