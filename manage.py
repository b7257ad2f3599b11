#!/usr/bin/env python
"""Django's command-line utility for UrbanHarvest."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanharvest.settings.local")
    from django.core.management import execute_from_command_line

    from urbanharvest import telemetry

    # Before django.setup(): the Django instrumentation adds its middleware to the settings. Worker
    # commands name their own service with telemetry.configure(); runserver serves as the web.
    telemetry.instrument()
    if sys.argv[1:2] == ["runserver"]:
        telemetry.configure(service_name="urbanharvest-web")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
