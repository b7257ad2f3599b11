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
