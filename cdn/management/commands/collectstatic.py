from django.contrib.staticfiles.management.commands import collectstatic
from django.core.management import CommandError

from cdn.services import static_publish
from cdn.storage import StaticStorage

# Django's flags that change how files reach the destination, which the S3 path does its own way.
REFUSED_ON_S3 = {"clear": "--clear", "dry_run": "--dry-run", "link": "--link"}


class Command(collectstatic.Command):
    """Django's collectstatic, except that when static files live on S3 it collects into
    STATIC_ROOT with hashed names and uploads only what changed (cdn.services.static_publish):
    Django's own way reads every file back from S3 to hash it (bench/collectstatic.py)."""

    help = "Collect static files; on S3, collect locally with hashed names and upload only the changed ones."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--force-upload", action="store_true", help="on S3, upload every file, changed or not")

    def handle(self, **options) -> str | None:
        if not isinstance(self.storage, StaticStorage):
            return super().handle(**options)
        refused = [flag for option, flag in REFUSED_ON_S3.items() if options[option]]
        if not options["post_process"]:
            refused.append("--no-post-process")
        if options["ignore_patterns"] or not options["use_default_ignore_patterns"]:
            refused.append("--ignore/--no-default-ignore")
        if refused:
            raise CommandError(f"not supported when static files are on S3: {', '.join(refused)}")
        report = static_publish(target=self.storage, force=options["force_upload"])
        self.stdout.write(
            f"static files: {len(report.uploaded)} uploaded, {report.unchanged} unchanged "
            f"(collect {report.collect_seconds:.1f}s, sync {report.sync_seconds:.1f}s)"
        )
        if report.replaced_in_place:
            self.stdout.write(
                f"{len(report.replaced_in_place)} changed under an unchanged URL; "
                "`manage.py cdn_invalidate` drops the CDN's copies"
            )
        if options["verbosity"] > 1:
            for name in report.uploaded:
                self.stdout.write(f"  uploaded {name}")
        return None
