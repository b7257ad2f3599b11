"""`make run`: the dev profile of the local stack, unless the environment points elsewhere."""

import os

from devstack import config

config.apply_defaults(config.profile("dev"))
# Traces stay off the terminal: into the dev stack's logs, unless an OTLP endpoint is set.
if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
    os.environ.setdefault("TRACES_EXPORTER", "file")
os.environ.setdefault("TRACES_FILE", str(config.profile("dev").logs / "traces.jsonl"))
os.environ.setdefault("DJANGO_SECRET_KEY", "local-development-only-not-a-secret")

from urbanharvest.settings.base import *  # noqa: E402,F403

DEBUG = True
