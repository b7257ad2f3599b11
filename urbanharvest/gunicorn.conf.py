"""gunicorn settings for the web process; `WEB_BIND` and `WEB_CONCURRENCY` override them."""

import multiprocessing
import os

wsgi_app = "urbanharvest.wsgi:application"
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
graceful_timeout = 10
errorlog = "-"
# The control socket's default path is per user, so the dev and test servers would share it.
control_socket_disable = True


def post_fork(server, worker) -> None:
    """Tracing starts in each worker: the batch exporter's thread would not survive the fork."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanharvest.settings.local")
    from urbanharvest import telemetry

    telemetry.configure(service_name="urbanharvest-web")


def post_worker_init(worker) -> None:
    """Ready the S3 clients of /readyz and the ops page before their first request: they are slow to build."""
    from ops import health

    health.prepare()


def worker_exit(server, worker) -> None:
    """Export the spans still queued before the worker goes."""
    from urbanharvest import telemetry

    telemetry.shutdown()
