"""`make run`: the stack, the one-off set-up commands, then the web server and workers until Ctrl-C.

Ctrl-C or SIGTERM (which `make stop` sends) stops the app processes, then the servers.
"""

import os
import signal
import subprocess
import sys
import time

from devstack import processes, stack
from devstack.config import PROJECT_ROOT, Profile

MANAGE = [sys.executable, str(PROJECT_ROOT / "manage.py")]

# manage.py commands that prepare the databases and storage before anything serves: the first (the
# migrations) alone, then the rest side by side.
SETUP_COMMANDS: list[list[str]] = [["migrate_all"], ["kafka_topics"], ["seed_demo"], ["collectstatic", "--noinput"]]

# Long-running processes, each restarted if it dies.
APP_PROCESSES: dict[str, list[str]] = {
    "web": [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "urbanharvest" / "gunicorn.conf.py")],
    "reconcile-orders": [*MANAGE, "reconcile_orders", "--every", "60"],
    "relay": [*MANAGE, "relay_outbox"],
    "notifications": [*MANAGE, "consume_notifications"],
    "inventory-sync": [*MANAGE, "consume_inventory_sync"],
    "manifests": [*MANAGE, "consume_manifests"],
}

RESTART_DELAY_S = 2.0


def app_environment() -> dict[str, str]:
    return {"DJANGO_SETTINGS_MODULE": "urbanharvest.settings.local", **os.environ}


def run(p: Profile) -> None:
    pid_file = p.root / "run.pid"
    if processes.read_pid(pid_file):
        sys.exit(f"`make run` is already running (pid {processes.read_pid(pid_file)}); `make stop` stops it")
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    env = app_environment()
    children: dict[str, subprocess.Popen] = {}
    # Everything after the servers start is inside the try, so that a failed set-up step or a
    # Ctrl-C during one still takes the servers down.
    stack.up(p)
    pid_file.write_text(str(os.getpid()))
    try:
        _set_up(env)
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        children.update({name: _start(cmd, env) for name, cmd in APP_PROCESSES.items()})
        site = os.environ.get("WEB_BIND", "127.0.0.1:8000")
        print(f"UrbanHarvest is up: http://{site}/  (Ctrl-C or `make stop` stops everything)", flush=True)
        while not stopping:
            time.sleep(0.5)
            for name, child in children.items():
                if child.poll() is not None and not stopping:
                    print(f"{name} exited with {child.returncode}; restarting", flush=True)
                    time.sleep(RESTART_DELAY_S)
                    children[name] = _start(APP_PROCESSES[name], env)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        stack.down(p)
        pid_file.unlink(missing_ok=True)


def stop(p: Profile) -> None:
    """Stop a running `make run` (it takes the servers down itself), or just the servers."""
    pid = processes.read_pid(p.root / "run.pid")
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        processes.wait_until(lambda: not processes.is_alive(pid), timeout=60)
    stack.down(p)


def _set_up(env: dict[str, str]) -> None:
    """Migrations first; the other set-up steps need the schema but not each other, so they run side by side."""
    first, *rest = SETUP_COMMANDS
    subprocess.run([*MANAGE, *first], env=env, check=True, cwd=PROJECT_ROOT)
    steps = [(command, subprocess.Popen([*MANAGE, *command], env=env, cwd=PROJECT_ROOT)) for command in rest]
    failed = [" ".join(command) for command, step in steps if step.wait() != 0]
    if failed:
        sys.exit(f"set-up failed: manage.py {', '.join(failed)}")


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT)
