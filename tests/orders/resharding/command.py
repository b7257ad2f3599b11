"""`manage.py migrate_to_shards` in a process of its own, as an operator runs it (and kills it)."""

import os
import subprocess
import sys

from devstack.config import PROJECT_ROOT


def command_start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "urbanharvest.settings.test", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "manage.py", "migrate_to_shards", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def command_run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = command_start(*args, env=env)
    output, _ = process.communicate(timeout=300)
    return process.returncode, output
