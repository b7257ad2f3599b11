import signal
import threading

from django.core.management import BaseCommand

from orders.services import reservations_reconcile
from urbanharvest import telemetry


class Command(BaseCommand):
    help = (
        "Settle stock reservations a crash left open: confirm those whose order exists on its shard, give"
        " back the stock of expired ones whose order does not. It applies its changes by default because"
        " it only ever restores the stock invariant (nothing is deleted); --dry-run shows what it would do."
        " --every N keeps it running (as `make run` does), settling every N seconds until SIGTERM."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")
        parser.add_argument("--every", type=float, metavar="SECONDS", help="run until SIGTERM, every SECONDS")

    def handle(self, *args, dry_run: bool = False, every: float | None = None, **options) -> None:
        telemetry.configure(service_name="urbanharvest-reconcile-orders")
        if every is None:
            self._settle(dry_run)
            return
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        while not stopping.is_set():
            self._settle(dry_run, quiet_when_idle=True)
            stopping.wait(every)

    def _settle(self, dry_run: bool, *, quiet_when_idle: bool = False) -> None:
        # One trace per pass, rather than one per query.
        with telemetry.step_span("reconcile reservations", {"dry_run": dry_run}):
            report = reservations_reconcile(dry_run=dry_run)
        if quiet_when_idle and not (report.confirmed or report.released or report.unreachable):
            return
        verb = "would" if dry_run else "did"
        self.stdout.write(f"confirmed ({verb}): {len(report.confirmed)} {report.confirmed}")
        self.stdout.write(f"released ({verb}): {len(report.released)} {report.released}")
        self.stdout.write(f"pending (not expired yet): {len(report.pending)}")
        if report.unreachable:
            self.stderr.write(f"shard unreachable, left as they are: {len(report.unreachable)} {report.unreachable}")
