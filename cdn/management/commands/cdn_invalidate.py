from django.conf import settings
from django.core.management import BaseCommand, CommandError

from cdn.services import InvalidationFailed, cdn_invalidation_create, cdn_paths_split, static_unhashed_paths


class Command(BaseCommand):
    help = (
        "Invalidate CloudFront's cached copies of the given paths (default: every static file whose "
        "URL is unhashed, which a deploy may have changed). Hashed static paths are skipped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="*", help="distribution-relative paths such as /static/robots.txt")

    def handle(self, *args, **options) -> None:
        distribution_id = settings.CLOUDFRONT_DISTRIBUTION_ID
        if not distribution_id:
            self.stdout.write("No CloudFront distribution configured (CLOUDFRONT_DISTRIBUTION_ID); nothing to do.")
            return
        paths, hashed = cdn_paths_split(options["paths"] or static_unhashed_paths())
        for path in hashed:
            self.stdout.write(f"skipped {path}: hashed names never change")
        if not paths:
            self.stdout.write("Nothing to invalidate.")
            return
        try:
            invalidation_id = cdn_invalidation_create(distribution_id=distribution_id, paths=paths)
        except InvalidationFailed as exc:
            raise CommandError(f"CloudFront refused the invalidation on {distribution_id}: {exc}") from exc
        self.stdout.write(f"Invalidation {invalidation_id} created on {distribution_id} for {len(paths)} path(s).")
