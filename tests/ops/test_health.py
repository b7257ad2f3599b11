import socket

import pytest
from django.db import connections

from ops.health import DASHBOARD_DEADLINE_S, DEGRADED, OK, readiness_report


@pytest.fixture
def silent_primary(monkeypatch):
    """Point the primary's settings at a port that takes connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        monkeypatch.setitem(connections["default"].settings_dict, "PORT", listener.getsockname()[1])
        yield


def test_a_primary_that_misses_the_deadline_is_degraded_not_down(silent_primary):
    report = readiness_report(deadline_s=0.05)

    primary = next(check for check in report.checks if check.name == "primary")
    assert primary.status == DEGRADED
    assert primary.reason == "no answer within 50 ms"
    assert report.status == DEGRADED


@pytest.mark.parametrize("server", ["broker", "s3"])
def test_a_server_answering_late_but_within_the_ops_pages_deadline_is_ok(paused_server, server):
    paused_server(server, seconds=0.3)

    report = readiness_report(deadline_s=DASHBOARD_DEADLINE_S)

    check = next(check for check in report.checks if check.name == server)
    assert check.status == OK, check.reason
    assert check.elapsed_ms >= 250
