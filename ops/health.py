"""Readiness checks of every server the site depends on, run in parallel under one short deadline.

Each check opens its own short-lived connection (never a request's Django connection, so a check
can neither wait on nor disturb a transaction) and runs with instrumentation suppressed: probes
poll often, and their queries are not worth a trace.

Only the primary is essential: without it nothing works, so it alone makes the report `down`
(HTTP 503). A lost replica (reads fall back to the primary), shard (its customers cannot check
out), broker (events wait in the outbox) or S3 makes it `degraded`, with the reason.
"""

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import boto3
import psycopg2
from botocore.config import Config
from django.conf import settings
from django.db import connections
from opentelemetry.instrumentation.utils import suppress_instrumentation

from routers.placement import PRIMARY_ALIAS, REPLICA_ALIAS, shard_aliases
from routers.replica import LAG_RECHECK_SECONDS, replica_lag_measure

OK, DEGRADED, DOWN = "ok", "degraded", "down"
DEADLINE_S = 0.07  # /readyz's: a load balancer's probe cannot wait
DASHBOARD_DEADLINE_S = 1.0  # the ops page's: a person reading it can wait for a slow server's answer


@dataclass
class Check:
    name: str
    status: str
    reason: str = ""
    elapsed_ms: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    status: str
    checks: list[Check]
    elapsed_ms: float

    def ok(self, name: str) -> bool:
        return any(c.name == name and c.status == OK for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "checks": {
                c.name: {"status": c.status, "reason": c.reason, "elapsed_ms": round(c.elapsed_ms, 1), **c.details}
                for c in self.checks
            },
        }


def readiness_report(*, deadline_s: float = DEADLINE_S) -> Report:
    """Every check, run at once. A failed check makes the report down (the primary) or degraded (any
    other server); one that has not answered by the deadline makes it degraded."""
    started = time.monotonic()
    probes = _probes(deadline_s=deadline_s)
    pool = ThreadPoolExecutor(max_workers=len(probes), thread_name_prefix="readyz")
    futures = {name: pool.submit(_timed, name, probe) for name, probe in probes.items()}
    wait(futures.values(), timeout=deadline_s)
    # A hung server keeps its probe's thread until the socket times out; the answer does not wait.
    pool.shutdown(wait=False, cancel_futures=True)
    # A slow answer is not a refusal: on a busy machine a fresh connection can miss the deadline, and
    # calling the primary down then would take a busy web server out of its load balancer.
    checks = [
        future.result()
        if future.done() and not future.cancelled()
        else Check(name, DEGRADED, f"no answer within {deadline_s * 1000:.0f} ms")
        for name, future in futures.items()
    ]
    checks = [_degrade_unless_essential(c) for c in checks]
    statuses = {c.status for c in checks}
    overall = DOWN if DOWN in statuses else DEGRADED if DEGRADED in statuses else OK
    return Report(overall, checks, (time.monotonic() - started) * 1000)


def _probes(*, deadline_s: float) -> dict[str, Callable[[], Check]]:
    # Connection parameters are read here, in the request's thread: reading them in a probe's
    # thread would leave a Django connection object behind in each.
    probes: dict[str, Callable[[], Check]] = {
        "primary": _postgres_probe("primary", connections[PRIMARY_ALIAS].get_connection_params()),
        # The router's own measurement, its recheck of a high lag cut to fit in the deadline.
        "replica": _replica_probe(
            connections[REPLICA_ALIAS].get_connection_params(), recheck_s=min(LAG_RECHECK_SECONDS, deadline_s / 2)
        ),
    }
    for alias in shard_aliases():
        probes[alias] = _postgres_probe(alias, connections[alias].get_connection_params())
    # The broker and S3 clients give up at the deadline too, so a hung server's probe ends with it.
    if settings.KAFKA_BOOTSTRAP_SERVERS:
        probes["broker"] = lambda: _broker_check(settings.KAFKA_BOOTSTRAP_SERVERS, timeout_s=deadline_s)
    if settings.AWS_STORAGE_BUCKET_NAME:
        s3 = _s3(timeout_s=deadline_s)
        probes["s3"] = lambda: _s3_check(s3)
    return probes


def _timed(name: str, probe: Callable[[], Check]) -> Check:
    started = time.monotonic()
    with suppress_instrumentation():
        try:
            check = probe()
        except (psycopg2.Error, OSError, ProbeFailed) as exc:
            check = Check(name, DOWN, _first_line(exc))
        except Exception as exc:  # botocore's errors share no base class with the others
            check = Check(name, DOWN, f"{type(exc).__name__}: {_first_line(exc)}")
    check.elapsed_ms = (time.monotonic() - started) * 1000
    return check


def _degrade_unless_essential(check: Check) -> Check:
    if check.status == DOWN and check.name != "primary":
        check.status = DEGRADED
    return check


class ProbeFailed(Exception):
    pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _connect(params: dict[str, Any]):
    # libpq's connect_timeout cannot go below 2 s; the deadline above bounds the wait instead.
    return psycopg2.connect(**{**params, "connect_timeout": 2, "application_name": "readyz"})


@contextlib.contextmanager
def _cursor(params: dict[str, Any]) -> Iterator[Any]:
    conn = _connect(params)
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def _postgres_probe(name: str, params: dict[str, Any]) -> Callable[[], Check]:
    def probe() -> Check:
        with _cursor(params) as cur:
            cur.execute("SELECT 1")
        return Check(name, OK)

    return probe


def _replica_probe(params: dict[str, Any], *, recheck_s: float) -> Callable[[], Check]:
    def probe() -> Check:
        with _cursor(params) as cur:
            in_recovery, streaming, lag_s = replica_lag_measure(cur, recheck_s=recheck_s)
        if not in_recovery:
            return Check("replica", OK, "no separate replica: catalog reads use the primary")
        details = {"lag_seconds": round(lag_s, 3)}
        if not streaming:
            return Check("replica", DEGRADED, "not streaming from the primary", details=details)
        # The bound past which the replica router stops reading from it.
        if lag_s > settings.REPLICA_MAX_LAG_SECONDS:
            return Check("replica", DEGRADED, f"{lag_s:.1f} s behind the primary", details=details)
        return Check("replica", OK, details=details)

    return probe


_API_VERSIONS_KEY = 18
_CORRELATION_ID = 0x5EAD


def _broker_check(bootstrap_servers: list[str], *, timeout_s: float) -> Check:
    """A Kafka ApiVersions round trip with the first bootstrap server that answers: the cheapest
    request that proves a broker (not just an open port) is there."""
    failures = []
    for server in bootstrap_servers:
        host, _, port = server.rpartition(":")
        try:
            _api_versions(host, int(port), timeout_s=timeout_s)
            return Check("broker", OK, details={"server": server})
        except (OSError, ProbeFailed) as exc:
            failures.append(f"{server}: {_first_line(exc)}")
    raise ProbeFailed("; ".join(failures))


def _api_versions(host: str, port: int, *, timeout_s: float) -> None:
    client_id = b"readyz"
    header = struct.pack(">hhih", _API_VERSIONS_KEY, 0, _CORRELATION_ID, len(client_id)) + client_id
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(struct.pack(">i", len(header)) + header)
        reply = _read_exactly(sock, 10)
    _size, correlation_id, error_code = struct.unpack(">iih", reply)
    if correlation_id != _CORRELATION_ID or error_code != 0:
        raise ProbeFailed(f"unexpected ApiVersions reply (error code {error_code})")


def _read_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ProbeFailed("the broker closed the connection")
        data += chunk
    return data


_s3_lock = threading.Lock()
_s3_clients: dict[float, Any] = {}


def prepare() -> None:
    """Build what the checks reuse, outside any deadline: a boto3 client takes up to a few hundred
    milliseconds to build, once per process (gunicorn calls this as each worker starts), so /readyz
    and the ops page each find theirs ready."""
    if settings.AWS_STORAGE_BUCKET_NAME:
        for deadline_s in (DEADLINE_S, DASHBOARD_DEADLINE_S):
            _s3(timeout_s=deadline_s)


def _s3(*, timeout_s: float) -> Any:
    """The S3 client whose calls give up after `timeout_s`, one per deadline (`prepare` builds /readyz's
    and the ops page's; another deadline, a test's, gets its own on first use)."""
    with _s3_lock:
        if timeout_s not in _s3_clients:
            _s3_clients[timeout_s] = boto3.client(
                "s3",
                endpoint_url=settings.AWS_S3_ENDPOINT_URL,
                region_name=settings.AWS_S3_REGION_NAME,
                config=Config(connect_timeout=timeout_s, read_timeout=timeout_s, retries={"max_attempts": 1}),
            )
        return _s3_clients[timeout_s]


def _s3_check(s3: Any) -> Check:
    s3.head_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
    return Check("s3", OK, details={"bucket": settings.AWS_STORAGE_BUCKET_NAME})
