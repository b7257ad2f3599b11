"""Bring a profile's servers up or down, idempotently, and say what runs where."""

import shutil
import time

import psycopg2

from devstack import config, processes, servers
from devstack.config import PRIMARY, REPLICA, Profile
from devstack.postgres import Cluster, Replica


def primary(p: Profile) -> Cluster:
    return Cluster(p, "primary", p.port(PRIMARY))


def replica(p: Profile) -> Replica:
    return Replica(p, p.port(REPLICA), primary(p))


def shard(p: Profile, index: int) -> Cluster:
    return Cluster(p, f"shard_{index}", p.shard_port(index))


def clusters(p: Profile) -> list[Cluster]:
    """The PostgreSQL servers this profile runs itself (those the environment does not point elsewhere)."""
    result: list[Cluster] = []
    if not config.external("DATABASE_URL", p):
        result.append(primary(p))
        if not config.external("REPLICA_DATABASE_URL", p):
            result.append(replica(p))
    if not config.external("SHARD_DATABASE_URLS", p):
        result += [shard(p, i) for i in range(p.shards)]
    return result


def other_servers(p: Profile) -> list[servers.Server]:
    wanted = [
        ("KAFKA_BOOTSTRAP_SERVERS", servers.kafka),
        ("AWS_S3_ENDPOINT_URL", servers.s3),
        ("EMAIL_HOST", servers.smtp),
    ]
    return [make(p) for setting, make in wanted if not config.external(setting, p)]


def up(p: Profile, *, fresh: bool = False, quiet: bool = False) -> float:
    """Start every server of the profile that is not running; returns the seconds it took."""
    started = time.monotonic()
    if fresh:
        down(p, quiet=True)
        shutil.rmtree(p.root, ignore_errors=True)
    p.root.mkdir(parents=True, exist_ok=True)
    p.logs.mkdir(parents=True, exist_ok=True)
    for server in other_servers(p):
        server.ensure_up(p)
    for cluster in clusters(p):
        cluster.ensure_up()
    if any(isinstance(c, Replica) for c in clusters(p)):
        wait_for_streaming(p)
    if not config.external("AWS_S3_ENDPOINT_URL", p):
        servers.ensure_bucket(p)
    write_env_file(p)
    elapsed = time.monotonic() - started
    if not quiet:
        print(status_report(p))
        print(f"stack '{p.name}' up in {elapsed:.1f}s; settings in {p.env_file}")
    return elapsed


def down(p: Profile, *, quiet: bool = False) -> None:
    """Stop every server of the profile (replica before primary); data stays."""
    for cluster in reversed(clusters(p)):
        if cluster.initialised:
            cluster.stop()
    for server in other_servers(p):
        if server.stop(p) and not quiet:
            print(f"stopped {server.name}")
    if not quiet:
        print(f"stack '{p.name}' down")


def wait_for_streaming(p: Profile, timeout: float = 20.0) -> None:
    """Block until the primary reports the replica streaming."""

    def streaming() -> bool:
        return primary(p).fetch_one("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")[0] > 0

    if not processes.wait_until(streaming, timeout=timeout, interval=0.1):
        raise RuntimeError("the replica never started streaming from the primary; see the postgres logs")


def write_env_file(p: Profile) -> None:
    """Write the settings for this stack as a shell-sourceable file; real environment values win."""
    lines = [f"{key}={value}" for key, value in config.connection_defaults(p).items()]
    p.env_file.write_text("\n".join(lines) + "\n")


def status_report(p: Profile) -> str:
    rows = [f"{'server':<10} {'port':<6} state"]
    for cluster in clusters(p):
        rows.append(f"{cluster.name:<10} {cluster.port:<6} {_pg_state(cluster)}")
    for server in other_servers(p):
        state = "up" if server.running(p) and processes.port_open(server.port) else "down"
        rows.append(f"{server.name:<10} {server.port:<6} {state}")
    return "\n".join(rows)


def _pg_state(cluster: Cluster) -> str:
    if not cluster.running:
        return "down"
    try:
        return "up (hot standby)" if cluster.fetch_one("SELECT pg_is_in_recovery()")[0] else "up"
    except psycopg2.OperationalError as exc:
        return f"not answering: {exc}".strip()
