import signal

from django.conf import settings
from django.core.management import BaseCommand

from outbox.relay import OutboxRelay
from urbanharvest import telemetry


class Command(BaseCommand):
    help = "Publish outbox events from the primary and every shard to Kafka until SIGTERM (run several at will)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=settings.OUTBOX_RELAY_BATCH_SIZE)

    def handle(self, *args, **options) -> None:
        telemetry.configure(service_name="urbanharvest-relay-outbox")
        relay = OutboxRelay(batch_size=options["batch_size"], report=self._report)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: relay.stopping.set())
        relay.run()

    def _report(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
