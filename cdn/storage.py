"""Where files live on S3, and how long browsers and the CDN may keep each kind.

- `StaticStorage` (`static/`): CSS, JS and images shipped with the code, with content-hashed names
  from the manifest. A hashed name never changes content, so it is cached for a year and marked
  immutable; the unhashed copies and the manifest itself can change in place, so they get a short
  lifetime (and `cdn_invalidate` after a deploy).
- `MediaStorage` (`media/`): product and farmer images. Names are never reused
  (`file_overwrite=False`), so caches may keep them long; not immutable because a farmer may delete one.
- `PrivateStorage` (`private/`): delivery manifests and anything else not for the public. The bucket
  policy allows no anonymous read there; URLs are signed and expire, and nothing may cache them.

Public URLs use `AWS_S3_CUSTOM_DOMAIN` (the CloudFront distribution) when it is set and the S3
endpoint otherwise, and are never signed. Private URLs are S3 presigned URLs on the endpoint: the
CDN would need its own signing keys to serve them and gains nothing for rare downloads.
"""

import posixpath
import re

from django.conf import settings
from storages.backends.s3 import S3ManifestStaticStorage, S3Storage

IMMUTABLE = "public, max-age=31536000, immutable"
CHANGES_IN_PLACE = "public, max-age=300"
MEDIA = "public, max-age=86400, s-maxage=2592000"
NOT_CACHED = "private, no-store"

# HashedFilesMixin names files `<root>.<first 12 hex of md5><ext>`.
_HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)?$")


def is_hashed_name(name: str) -> bool:
    """True for a content-hashed static name such as `css/site.4f1c2b9a0d3e.css`."""
    return bool(_HASHED_NAME.search(posixpath.basename(name)))


def static_cache_control(name: str) -> str:
    return IMMUTABLE if is_hashed_name(name) else CHANGES_IN_PLACE


class StaticStorage(S3ManifestStaticStorage):
    """Static files as the site links them: hashed names looked up in `static/staticfiles.json`.

    The project's `collectstatic` fills it (collect locally, upload what changed); Django's stock
    collectstatic into it also works, only much slower (bench/collectstatic.py)."""

    location = "static"
    file_overwrite = True

    def url(self, name: str, force: bool = True) -> str:
        # Hashed URLs under DEBUG too (Django's default there is the unhashed name): development
        # pages then link exactly what production pages do, and a re-publish busts browser caches.
        return super().url(name, force=force)

    def get_object_parameters(self, name: str) -> dict:
        return {**super().get_object_parameters(name), "CacheControl": static_cache_control(name)}


class MediaStorage(S3Storage):
    """Uploaded product and farmer images, public and unsigned."""

    location = "media"
    file_overwrite = False
    querystring_auth = False

    def get_object_parameters(self, name: str) -> dict:
        return {**super().get_object_parameters(name), "CacheControl": MEDIA}


class PrivateStorage(S3Storage):
    """Files only their owner may fetch, through signed URLs that expire after
    `PRIVATE_URL_EXPIRE_SECONDS`; never through the public CDN domain."""

    location = "private"
    file_overwrite = False
    querystring_auth = True
    custom_domain = None

    def __init__(self, **options: object) -> None:
        options.setdefault("querystring_expire", settings.PRIVATE_URL_EXPIRE_SECONDS)
        super().__init__(**options)

    def get_object_parameters(self, name: str) -> dict:
        return {**super().get_object_parameters(name), "CacheControl": NOT_CACHED}
