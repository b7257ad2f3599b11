import time

from django.core.management import BaseCommand, CommandError

from orders.resharding.backfill import BackfillReport
from orders.resharding.moves import MoveRefused
from orders.resharding.service import (
    move_cutover_now,
    move_dry_run,
    move_run,
    move_verify_now,
    moves_recent,
    target_map_default,
)
from orders.resharding.verify import Verification

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Move orders online into the shard map given by --to (default: the unfinished move's target, else"
        " SHARD_MAP): from the legacy layout (every order on the primary) into shards, or logical shards from"
        " one shard server to another. Without options it starts or resumes the move, copies every moving"
        " order with its lines and unpublished events (checkpointed; safe to kill and re-run) and verifies."
        " --dry-run plans; --verify compares again; --cutover (explicit, refused unless verification passes"
        " on the current data) makes the target authoritative and deletes the moved rows from the source."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--to", metavar="MAP", help="target shard map, e.g. 0-511=shard_0,512-1023=shard_1")
        steps = parser.add_mutually_exclusive_group()
        steps.add_argument("--dry-run", action="store_true", help="print the plan and an estimate; write nothing")
        steps.add_argument("--verify", action="store_true", help="compare source and target per logical shard")
        steps.add_argument("--cutover", action="store_true", help="finish a verified move")
        steps.add_argument("--status", action="store_true", help="show recent moves and their checkpoints")
        parser.add_argument("--batch-size", type=int, default=20000, help="orders per batch (default 20000)")

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            if options["status"]:
                self._status()
            elif options["verify"]:
                self._report_verification(*move_verify_now())
            elif options["cutover"]:
                self._cutover(options["batch_size"])
            elif options["dry_run"]:
                self._dry_run(options["to"] or target_map_default(), options["batch_size"])
            else:
                self._run(options["to"] or target_map_default(), options["batch_size"])
        except MoveRefused as refused:
            raise CommandError(str(refused)) from None

    def _dry_run(self, target_map: str, batch_size: int) -> None:
        self.stdout.write(f"plan (dry run, nothing written): move to {target_map}")
        total = 0.0
        for line in move_dry_run(target_map=target_map, batch_size=batch_size):
            r = line.range
            estimate = "-" if line.seconds is None else f"~{line.seconds:.1f}s"
            total += line.seconds or 0.0
            self.stdout.write(
                f"  logical {r.first}-{r.last}: {r.source} -> {r.target}:"
                f" {line.orders} orders, {line.lines} lines, {estimate}"
            )
        self.stdout.write(f"estimated copy time: ~{total:.1f}s (rate measured now on one rolled-back batch)")

    def _run(self, target_map: str, batch_size: int) -> None:
        bar = _ProgressBar(self.stdout)
        move, report, verification = move_run(
            target_map=target_map, batch_size=batch_size, on_batch=bar.update, say=self.stdout.write
        )
        bar.finish(report)
        self._report_verification(move, verification, after_copy=True)

    def _report_verification(self, move, verification: Verification, *, after_copy: bool = False) -> None:
        self.stdout.write(
            f"verify move {move.id}: {verification.logical_shards} logical shards, {verification.orders} orders,"
            f" {verification.lines} lines: {'PASSED' if verification.passed else 'FAILED'}"
        )
        for mismatch in verification.mismatches[:20]:
            self.stdout.write(
                f"  logical {mismatch.logical} {mismatch.what}: source {mismatch.source}, target {mismatch.target}"
            )
        if not verification.passed:
            raise CommandError(f"{len(verification.mismatches)} logical shards differ; run migrate_to_shards again")
        if after_copy or move.state == "verified":
            self.stdout.write("state: verified; run migrate_to_shards --cutover to make the target authoritative")

    def _cutover(self, batch_size: int) -> None:
        started = time.monotonic()
        tty = self.stdout.isatty()
        move, deleted = move_cutover_now(
            batch_size=batch_size,
            on_batch=lambda n: self.stdout.write(
                f"{chr(13) if tty else ''}deleted {n} moved orders from the source", ending="" if tty else "\n"
            ),
        )
        self.stdout.write(
            f"{chr(10) if tty else ''}cut over move {move.id} in {time.monotonic() - started:.1f}s:"
            f" {deleted} orders deleted from the source; orders now live as {move.target_map}"
        )

    def _status(self) -> None:
        for move in moves_recent():
            self.stdout.write(str(move))
            for p in move.progress.all():
                self.stdout.write(
                    f"  {p}: {p.orders_copied} orders, {p.lines_copied} lines copied"
                    f"{' (finished)' if p.finished else f' up to id {p.copied_id}'}"
                )


class _ProgressBar:
    """rows/s and ETA on one line when stdout is a terminal, one line a second otherwise."""

    def __init__(self, stdout) -> None:
        self.stdout = stdout
        self.tty = stdout.isatty()
        self.line_start = "\r" if self.tty else ""
        self.total: int | None = None
        self.printed = 0.0

    def update(self, report: BackfillReport) -> None:
        now = time.monotonic()
        if not self.tty and now - self.printed < 1.0:
            return
        self.printed = now
        rate = (report.orders + report.lines) / report.seconds if report.seconds else 0.0
        share = report.orders / report.orders_to_copy if report.orders_to_copy else 1.0
        filled = round(BAR_WIDTH * min(share, 1.0))
        eta = "?" if report.eta_seconds is None else f"{report.eta_seconds:.0f}s"
        self.stdout.write(
            f"{self.line_start}[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%}"
            f" {report.orders}/{report.orders_to_copy} orders, {report.lines} lines  {rate:,.0f} rows/s  ETA {eta}",
            ending="" if self.tty else "\n",
        )

    def finish(self, report: BackfillReport) -> None:
        rate = (report.orders + report.lines) / report.seconds if report.seconds else 0.0
        self.stdout.write(
            f"{'' if not self.tty else chr(10)}copy done: {report.orders} orders, {report.lines} lines, {report.events}"
            f" unpublished events in {report.seconds:.1f}s ({rate:,.0f} rows/s)"
        )
