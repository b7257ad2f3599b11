"""Health checks for the app's containers (docker-compose.yml), on the standard library alone:
the image has no curl.

    python docker/healthcheck.py http URL          healthy when the URL answers 2xx
    python docker/healthcheck.py reach SETTING...  healthy when every server those settings name
                                                   accepts a TCP connection

The relay and the consumers serve no port: each is healthy while it reaches the servers it works
with, read from the same settings the app reads. A worker whose process dies stops its container,
and the restart policy starts it again.
"""

import os
import socket
import sys
import urllib.request
from urllib.parse import urlsplit

TIMEOUT_S = 3
DEFAULT_PORTS = {"postgres": 5432, "postgresql": 5432, "http": 80, "https": 443}


def servers(value: str) -> list[tuple[str, int]]:
    """(host, port) of each comma-separated item of a setting: URLs or host:port pairs."""
    found = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        parts = urlsplit(item if "://" in item else f"tcp://{item}")
        found.append((parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme, 0)))
    return found


def reach(settings: list[str]) -> str | None:
    """The first problem found, or None when every named server accepts a connection."""
    for name in settings:
        value = os.environ.get(name, "")
        if not value:
            return f"{name} is not set"
        for host, port in servers(value):
            try:
                socket.create_connection((host, port), timeout=TIMEOUT_S).close()
            except OSError as error:
                return f"{name}: {host}:{port} unreachable ({error})"
    return None


def http(url: str) -> str | None:
    if urlsplit(url).scheme not in ("http", "https"):
        return f"not an HTTP URL: {url}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 (scheme checked above)
            return None if 200 <= response.status < 300 else f"{url} answered {response.status}"
    except OSError as error:
        return f"{url}: {error}"


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "http":
        problem = http(argv[1])
    elif len(argv) >= 2 and argv[0] == "reach":
        problem = reach(argv[1:])
    else:
        problem = "usage: healthcheck.py http URL | reach SETTING..."
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
