from django.core.files.storage import storages
from django.core.management import BaseCommand, CommandError
from storages.backends.s3 import S3Storage

from cdn.services import static_publish


class Command(BaseCommand):
    help = (
        "Collect static files locally with hashed names and upload to S3 only those that changed "
        "(use instead of collectstatic when static files live on S3)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="upload every file, changed or not")

    def handle(self, *args, **options) -> None:
        if not isinstance(storages["staticfiles"], S3Storage):
            raise CommandError("static files are not on S3 (AWS_STORAGE_BUCKET_NAME is unset); run collectstatic")
        report = static_publish(force=options["force"])
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
