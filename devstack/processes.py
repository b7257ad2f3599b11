"""Start, find and stop long-running processes by pid file.

Exited children can linger as zombies in some sandboxes, so liveness is read from
`/proc/PID/stat` rather than `kill(pid, 0)`.
"""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def read_pid(pid_file: Path) -> int | None:
    """The live pid on the first line of a pid file (ours, or PostgreSQL's `postmaster.pid`)."""
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (FileNotFoundError, PermissionError, ValueError, IndexError):
        return None
    return pid if is_alive(pid) else None


def spawn(
    cmd: Sequence[str],
    *,
    pid_file: Path,
    log_file: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start `cmd` in its own session, detached from the terminal, logging to `log_file`."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            cwd=cwd,
        )
    pid_file.write_text(str(proc.pid))
    return proc.pid


def stop(pid: int, *, timeout: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after `timeout`."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        if wait_until(lambda: not is_alive(pid), timeout=wait):
            return


def stop_pid_file(pid_file: Path, *, timeout: float = 10.0) -> bool:
    """Stop the process named by `pid_file`; True if one was running."""
    pid = read_pid(pid_file)
    pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    stop(pid, timeout=timeout)
    return True


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for a server started next (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
