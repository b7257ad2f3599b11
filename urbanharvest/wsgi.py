"""WSGI entry point, served by gunicorn (see gunicorn.conf.py, whose post_fork hook sets up tracing
in each worker)."""

import os

from django.core.wsgi import get_wsgi_application

from urbanharvest import telemetry

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanharvest.settings.local")
# Before the middleware chain is built: the Django instrumentation adds its middleware to it.
telemetry.instrument()
application = get_wsgi_application()
