import os
import signal
import threading

import pytest

from devstack import processes, servers, stack


@pytest.fixture
def stopped_replica(test_stack):
    """The test stack's replica, stopped for one test and streaming again after it."""
    stack.replica(test_stack).stop()
    yield
    stack.replica(test_stack).ensure_up()
    stack.wait_for_streaming(test_stack)


@pytest.fixture
def stopped_broker(test_stack):
    """The broker, stopped for one test (it keeps messages in memory: they are lost)."""
    servers.kafka(test_stack).stop(test_stack)
    yield
    servers.kafka(test_stack).ensure_up(test_stack)


@pytest.fixture
def paused_server(test_stack):
    """Pause the broker or S3 (SIGSTOP) for some seconds: it still takes connections, and answers
    only once it is resumed (at the latest when the test ends)."""
    paused: list[tuple[threading.Timer, int]] = []

    def pause(name: str, *, seconds: float) -> None:
        server = {"broker": servers.kafka, "s3": servers.s3}[name](test_stack)
        pid = processes.read_pid(server.pid_file(test_stack))
        assert pid is not None, f"{name} is not running"
        os.killpg(pid, signal.SIGSTOP)
        timer = threading.Timer(seconds, os.killpg, (pid, signal.SIGCONT))
        timer.start()
        paused.append((timer, pid))

    yield pause
    for timer, pid in paused:
        timer.cancel()
        os.killpg(pid, signal.SIGCONT)
