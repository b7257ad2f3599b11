from ops.health import DEGRADED, readiness_report


def test_a_primary_that_misses_the_deadline_is_degraded_not_down():
    report = readiness_report(deadline_s=0.0)

    primary = next(check for check in report.checks if check.name == "primary")
    assert primary.status == DEGRADED
    assert primary.reason == "no answer within 0 ms"
    assert report.status == DEGRADED
