"""How long a deploy's static step takes against the local S3 (moto): Django's stock collectstatic
straight into the S3 manifest storage, versus the project's collectstatic (cdn.services.static_publish:
collect locally with hashed names, then upload only what changed). Cold = empty bucket prefix and
build folder; warm = nothing changed since.

    UH_STACK_PORT_BASE=... .venv/bin/python bench/collectstatic.py [--rounds 3]

Prints the median of each and the ratio the choice is judged by (stock / project).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanharvest.settings.test")

import django

django.setup()

from django.contrib.staticfiles.management.commands.collectstatic import Command as CollectStatic  # noqa: E402
from django.core.management import call_command  # noqa: E402

from cdn.services import static_publish  # noqa: E402
from cdn.storage import StaticStorage  # noqa: E402
from devstack import config, stack  # noqa: E402


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def collectstatic_into(storage: StaticStorage) -> None:
    command = CollectStatic()
    command.storage = storage
    call_command(command, interactive=False, verbosity=0)


def empty_prefix(storage: StaticStorage) -> None:
    bucket = storage.bucket
    bucket.objects.filter(Prefix=f"{storage.location}/").delete()


def one_round() -> dict[str, float]:
    tag = uuid.uuid4().hex[:8]
    plain = StaticStorage(location=f"bench-collectstatic-{tag}")
    synced = StaticStorage(location=f"bench-publish-{tag}")
    with tempfile.TemporaryDirectory() as build:
        try:
            return {
                "stock collectstatic cold": timed(lambda: collectstatic_into(plain)),
                "stock collectstatic warm": timed(lambda: collectstatic_into(plain)),
                "project collectstatic cold": timed(lambda: static_publish(target=synced, build_dir=Path(build))),
                "project collectstatic warm": timed(lambda: static_publish(target=synced, build_dir=Path(build))),
            }
        finally:
            empty_prefix(plain)
            empty_prefix(synced)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    stack.up(config.profile("test"), quiet=True)
    files = len(published_names())
    results = [one_round() for _ in range(rounds)]
    medians = {name: statistics.median(r[name] for r in results) for name in results[0]}
    print(f"{files} static files (with hashed copies), {rounds} rounds, moto S3 on loopback, medians:")
    for name, seconds in medians.items():
        print(f"  {name:<28} {seconds:7.2f} s")
    for kind in ("cold", "warm"):
        ratio = medians[f"stock collectstatic {kind}"] / medians[f"project collectstatic {kind}"]
        print(f"  {kind}: stock / project = {ratio:.1f}x")


def published_names() -> list[str]:
    """What a publish uploads on a cold run, for the headline."""
    with tempfile.TemporaryDirectory() as build:
        target = StaticStorage(location=f"bench-count-{uuid.uuid4().hex[:8]}")
        try:
            return static_publish(target=target, build_dir=Path(build)).uploaded
        finally:
            empty_prefix(target)


if __name__ == "__main__":
    main()
