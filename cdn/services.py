"""Publishing static files to S3 and invalidating the CDN's copies of the ones that change in place."""

import hashlib
import json
import mimetypes
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.exceptions import ClientError
from django.conf import settings
from django.contrib.staticfiles.management.commands.collectstatic import Command as CollectStatic
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.files.storage import storages
from django.core.management import call_command
from storages.backends.s3 import S3Storage

from cdn.storage import is_hashed_name, static_cache_control

UPLOAD_THREADS = 8
MANIFEST_NAME = ManifestStaticFilesStorage.manifest_name


class InvalidationFailed(Exception):
    """CloudFront refused the invalidation (unknown distribution, no permission, too many paths)."""


@dataclass(frozen=True)
class PublishReport:
    collect_seconds: float
    sync_seconds: float
    uploaded: list[str]
    unchanged: int

    @property
    def replaced_in_place(self) -> list[str]:
        """Uploaded names whose URL stays the same: the CDN may hold an old copy of these."""
        return [name for name in self.uploaded if not is_hashed_name(name)]


def static_publish(
    *, target: S3Storage | None = None, build_dir: Path | None = None, force: bool = False
) -> PublishReport:
    """Collect static files into `build_dir` with hashed names (Django's manifest storage, on local
    disk where hashing is cheap), then upload to `target` only the files whose content differs from
    the bucket's copy (compared by MD5 against the ETags of one listing), the manifest last.

    Invariant: the manifest in the bucket only ever names files already uploaded, so a web process
    that loads it mid-deploy never links a missing file. Old hashed files are kept: pages and caches
    from the previous release still link them."""
    target = target if target is not None else storages["staticfiles"]
    build_dir = Path(build_dir if build_dir is not None else settings.STATIC_ROOT)
    started = time.monotonic()
    _collect_locally(build_dir)
    collected = time.monotonic()

    manifest = json.loads((build_dir / MANIFEST_NAME).read_text())["paths"]
    names = sorted(set(manifest) | set(manifest.values()))
    remote = {} if force else _remote_etags(target)
    changed = [name for name in names if remote.get(name) != _md5(build_dir / name)]
    client = target.connection.meta.client
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        list(pool.map(lambda name: _upload(client, target, build_dir, name), changed))
    if remote.get(MANIFEST_NAME) != _md5(build_dir / MANIFEST_NAME):
        _upload(client, target, build_dir, MANIFEST_NAME)
        changed.append(MANIFEST_NAME)
    # This process links the new names from now on, as the web processes will once they restart.
    target.hashed_files, target.manifest_hash = target.load_manifest()
    return PublishReport(
        collect_seconds=collected - started,
        sync_seconds=time.monotonic() - collected,
        uploaded=changed,
        unchanged=len(names) + 1 - len(changed),
    )


def static_unhashed_paths(*, storage: S3Storage | None = None) -> list[str]:
    """The CDN paths of the published static files whose content can change under the same URL:
    the unhashed copies and the manifest."""
    storage = storage if storage is not None else storages["staticfiles"]
    return [_cdn_path(storage, name) for name in sorted([*storage.hashed_files, MANIFEST_NAME])]


def cdn_invalidation_create(*, distribution_id: str, paths: Sequence[str]) -> str:
    """Ask CloudFront to drop its cached copies of `paths` (distribution-relative, `/static/...`,
    wildcards allowed); returns the invalidation id. Hashed static names are never passed: their
    content never changes, so invalidating them only costs money."""
    client = boto3.client("cloudfront", endpoint_url=settings.AWS_CLOUDFRONT_ENDPOINT_URL)
    batch = {"Paths": {"Quantity": len(paths), "Items": list(paths)}, "CallerReference": uuid.uuid4().hex}
    try:
        response = client.create_invalidation(DistributionId=distribution_id, InvalidationBatch=batch)
    except ClientError as exc:
        raise InvalidationFailed(exc.response["Error"].get("Message") or str(exc)) from exc
    return response["Invalidation"]["Id"]


def cdn_paths_split(paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split requested paths into those worth invalidating (with a leading slash) and the hashed
    ones, which are skipped."""
    wanted, hashed = [], []
    for path in paths:
        path = "/" + path.lstrip("/")
        (hashed if is_hashed_name(path) else wanted).append(path)
    return wanted, hashed


def _collect_locally(build_dir: Path) -> None:
    """Collect afresh (`clear`): collectstatic skips a file whose copy is no older than its source to
    the second, so an edit made within a second of the last publish would otherwise be missed. It
    costs little: hashing on local disk is fast, and what is uploaded is decided against the bucket."""
    command = CollectStatic()
    command.storage = ManifestStaticFilesStorage(location=build_dir)
    call_command(command, interactive=False, verbosity=0, clear=True)


def _remote_etags(target: S3Storage) -> dict[str, str]:
    """Static name -> MD5 of every object under the storage's location, from one paginated listing.
    A single-part upload's ETag is its MD5 (every upload here is single-part)."""
    prefix = f"{target.location}/"
    paginator = target.connection.meta.client.get_paginator("list_objects_v2")
    etags = {}
    for page in paginator.paginate(Bucket=target.bucket_name, Prefix=prefix):
        for entry in page.get("Contents", ()):
            etags[entry["Key"].removeprefix(prefix)] = entry["ETag"].strip('"')
    return etags


def _upload(client, target: S3Storage, build_dir: Path, name: str) -> None:
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    client.put_object(
        Bucket=target.bucket_name,
        Key=f"{target.location}/{name}",
        Body=(build_dir / name).read_bytes(),
        ContentType=content_type,
        CacheControl=static_cache_control(name),
    )


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _cdn_path(storage: S3Storage, name: str) -> str:
    return f"/{storage.location}/{name}"
