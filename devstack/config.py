"""Where each local server listens and keeps its data, and the settings that point the app at it.

Two profiles exist side by side: `dev` (what `make run` uses) and `test` (what `make test` uses),
each with its own data folder and port range so both can run at once. `UH_STACK_PORT_BASE`,
`UH_STACK_DIR` and `UH_STACK_SHARDS` move them.
"""

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT_BASES = {"dev": 15400, "test": 25400}
DATABASE_NAME = "urbanharvest"
BUCKET_NAME = "urbanharvest"
MAX_SHARDS = 8

# Port offsets from the profile's base.
PRIMARY, REPLICA, FIRST_SHARD, KAFKA, S3, SMTP = 0, 1, 2, 10, 20, 25

# Consumer-group timings that suit the local broker (see shared/NOTES-stack.md): joins are held
# for about half the session timeout, so the test profile keeps it short.
KAFKA_TIMINGS = {
    "dev": {"KAFKA_SESSION_TIMEOUT_MS": "6000", "KAFKA_HEARTBEAT_INTERVAL_MS": "2000"},
    "test": {"KAFKA_SESSION_TIMEOUT_MS": "2000", "KAFKA_HEARTBEAT_INTERVAL_MS": "600"},
}


@dataclass(frozen=True)
class Profile:
    name: str
    root: Path
    port_base: int
    shards: int

    def port(self, offset: int) -> int:
        return self.port_base + offset

    def shard_port(self, index: int) -> int:
        return self.port(FIRST_SHARD + index)

    @property
    def env_file(self) -> Path:
        return self.root / "stack.env"

    @property
    def maildir(self) -> Path:
        return self.root / "mail"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def fast_unsafe_postgres(self) -> bool:
        """The test stack trades crash safety for speed; the dev stack never does."""
        return self.name == "test"


def profile(name: str | None = None) -> Profile:
    """The named profile (default: `UH_STACK_PROFILE`, else `dev`), with environment overrides."""
    name = name or os.environ.get("UH_STACK_PROFILE", "dev")
    if name not in DEFAULT_PORT_BASES:
        raise ValueError(f"unknown stack profile {name!r}; choose one of {sorted(DEFAULT_PORT_BASES)}")
    root = Path(os.environ.get("UH_STACK_DIR", PROJECT_ROOT / ".stack" / name)).resolve()
    port_base = int(os.environ.get("UH_STACK_PORT_BASE", DEFAULT_PORT_BASES[name]))
    shards = int(os.environ.get("UH_STACK_SHARDS", "2"))
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"UH_STACK_SHARDS must be between 1 and {MAX_SHARDS}, not {shards}")
    return Profile(name=name, root=root, port_base=port_base, shards=shards)


def postgres_url(port: int) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{DATABASE_NAME}"


def local_servers(p: Profile) -> dict[str, str]:
    """How the app reaches each server of this profile, when the stack runs them all."""
    s3 = f"127.0.0.1:{p.port(S3)}"
    return {
        "DATABASE_URL": postgres_url(p.port(PRIMARY)),
        "REPLICA_DATABASE_URL": postgres_url(p.port(REPLICA)),
        "SHARD_DATABASE_URLS": ",".join(postgres_url(p.shard_port(i)) for i in range(p.shards)),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{p.port(KAFKA)}",
        "KAFKA_FETCH_MAX_WAIT_MS": "10",
        **KAFKA_TIMINGS[p.name],
        "AWS_S3_ENDPOINT_URL": f"http://{s3}",
        "AWS_STORAGE_BUCKET_NAME": BUCKET_NAME,
        "AWS_S3_CUSTOM_DOMAIN": f"{s3}/{BUCKET_NAME}",
        "AWS_S3_URL_PROTOCOL": "http:",
        "AWS_ACCESS_KEY_ID": "devstack",
        "AWS_SECRET_ACCESS_KEY": "devstack",
        "AWS_DEFAULT_REGION": "us-east-1",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(p.port(SMTP)),
    }


def external(name: str, p: Profile) -> bool:
    """True when the environment points the app at a real server for `name` instead of the stack's."""
    value = os.environ.get(name)
    return bool(value) and value != local_servers(p).get(name)


def connection_defaults(p: Profile) -> dict[str, str]:
    """The settings the app reads to reach this profile's servers (environment variables win).

    A replica is only made of a primary the stack runs itself, so with an external `DATABASE_URL`
    there is no default replica: the app then reads from the primary unless told otherwise.
    """
    values = local_servers(p)
    if external("DATABASE_URL", p):
        del values["REPLICA_DATABASE_URL"]
    return values


def apply_defaults(p: Profile) -> None:
    """Fill the process environment with this profile's settings where it has none of its own."""
    for key, value in connection_defaults(p).items():
        os.environ.setdefault(key, value)
