"""The shape of every `consume_<group>` command: run one member of the group until SIGTERM."""

from django.core.management import BaseCommand

from events.consumer import consumer_run
from urbanharvest import telemetry


class ConsumerCommand(BaseCommand):
    group: str

    def handle(self, *args, **options) -> None:
        telemetry.configure(service_name=f"urbanharvest-consume-{self.group}")
        consumer_run(group=self.group, report=self._report)

    def _report(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
