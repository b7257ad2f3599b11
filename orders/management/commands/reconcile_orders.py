from django.core.management import BaseCommand

from orders.services import reservations_reconcile


class Command(BaseCommand):
    help = (
        "Settle stock reservations a crash left open: confirm those whose order exists on its shard, give"
        " back the stock of expired ones whose order does not. Run it every few minutes. It applies its"
        " changes by default because it only ever restores the invariant (nothing else is deleted);"
        " --dry-run shows what it would do."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        report = reservations_reconcile(dry_run=dry_run)
        verb = "would" if dry_run else "did"
        self.stdout.write(f"confirmed ({verb}): {len(report.confirmed)} {report.confirmed}")
        self.stdout.write(f"released ({verb}): {len(report.released)} {report.released}")
        self.stdout.write(f"pending (not expired yet): {len(report.pending)}")
        if report.unreachable:
            self.stderr.write(f"shard unreachable, left as they are: {len(report.unreachable)} {report.unreachable}")
