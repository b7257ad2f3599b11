"""Whole storefront pages kept for the visitors they are the same for.

A visitor with no session and no pending messages (a first visit, a crawler, anyone who has never
added to a cart or signed in) is anonymous with an empty cart, so a catalog page shows them exactly
what it shows every other such visitor, except the CSRF token of its forms. Such a page is rendered
once with a placeholder where the token goes, kept as bytes, and each request gets its own token
(the same masked token of its own CSRF cookie that `{% csrf_token %}` would have rendered) put in
its place: no visitor ever sees another's token or cart. Anyone with a session, or whose reads must
be fresh (pinned to the primary after a write, inside a transaction), gets the page rendered for
them as before.

A kept page is catalog data like any fragment (marketplace/fragments.py): it is fresh no longer than
the catalog cache allows from the moment its oldest fragment was computed, so its age stays within the
replica lag bound. A view that can say cheaply what its page was built from (`version`: one query of
the row versions of everything the page shows) has its page revalidated when that time is up rather
than rendered again: if the version where catalog reads go now is the one the page was built from,
the page is what rendering it now would give, and it is fresh for another lifetime. The version is
read from the replica before the page's data (which comes from the replica too, or from the primary,
which is ahead of it), so a page is never kept as current with data older than its version.
"""

import dataclasses
import functools
import hashlib
import time
from collections.abc import Callable, Hashable

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe

from marketplace.fragments import catalog_cache_seconds, ingredients_born
from routers.placement import REPLICA_ALIAS
from routers.replica import catalog_read_alias, reads_must_be_fresh

KEY_PREFIX = "page:"
# Rendered where `{% csrf_token %}` puts the token. Autoescaping turns any `<` that catalog text
# brings into `&lt;`, so no product or farm can put this string on a page.
CSRF_PLACEHOLDER: SafeString = mark_safe("<csrf-token-of-this-request>")
_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
_RENDERING_FOR_EVERYONE = "_page_for_everyone"
# How long a page with a version stays in the cache past its lifetime, for revalidation.
REVALIDATABLE_SECONDS = 600

# A view's page version: `version(using=alias, **the view's URL kwargs)`, read in one query on `using`;
# any change to what the page shows changes it.
PageVersion = Callable[..., Hashable]


@dataclasses.dataclass(frozen=True)
class KeptPage:
    content: bytes
    content_type: str
    has_csrf_token: bool
    fresh_until: float
    # What the page was built from, as its view's `version` reads it; None: not revalidated.
    version: Hashable | None


def page_same_for_everyone(request: HttpRequest) -> bool:
    """True when the page this request asks for is the one every visitor like it gets: a GET with
    no session (so anonymous, empty cart) and no messages waiting, whose reads may lag."""
    cookies = request.COOKIES
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies
        and not reads_must_be_fresh()
    )


def rendering_for_everyone(request: HttpRequest) -> bool:
    """True while the page this request asked for is being rendered to be kept for everyone: its
    templates get CSRF_PLACEHOLDER in place of the CSRF token (marketplace/context_processors.py)."""
    return getattr(request, _RENDERING_FOR_EVERYONE, False)


def kept_for_everyone(
    view: Callable[..., HttpResponse] | None = None, *, version: PageVersion | None = None
) -> Callable[..., HttpResponse]:
    """A catalog view whose page is kept for the visitors it is the same for, and revalidated with
    `version` when its lifetime is up (see the module). Use bare or with `version=`."""
    if view is None:
        return functools.partial(kept_for_everyone, version=version)

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not page_same_for_everyone(request) or catalog_cache_seconds() <= 0:
            return view(request, *args, **kwargs)
        key = KEY_PREFIX + hashlib.sha256(request.get_full_path().encode()).hexdigest()
        page = caches["pages"].get(key)
        if page is not None and time.time() >= page.fresh_until:
            page = _revalidated(key, page, version, kwargs)
        if page is None:
            page = _render_for_everyone(key, view, version, request, args, kwargs)
            if isinstance(page, HttpResponse):
                return page
        return _response_for(request, page)

    return wrapped


def _revalidated(key: str, page: KeptPage, version: PageVersion | None, kwargs: dict) -> KeptPage | None:
    """The page past its lifetime, fresh for another if its version where catalog reads go now is
    the one it was built from; None if it must be rendered again."""
    if page.version is None or version(using=catalog_read_alias(), **kwargs) != page.version:
        return None
    page = dataclasses.replace(page, fresh_until=time.time() + catalog_cache_seconds())
    caches["pages"].set(key, page, REVALIDATABLE_SECONDS)
    return page


def _version_before_rendering(version: PageVersion | None, kwargs: dict) -> Hashable | None:
    """The page's version as the replica has it, read before the page's data; None if there is no
    `version`, or the replica is not serving catalog reads (the page then only lives its lifetime)."""
    if version is None or catalog_read_alias() != REPLICA_ALIAS:
        return None
    return version(using=REPLICA_ALIAS, **kwargs)


def _render_for_everyone(
    key: str,
    view: Callable[..., HttpResponse],
    version: PageVersion | None,
    request: HttpRequest,
    args: tuple,
    kwargs: dict,
) -> KeptPage | HttpResponse:
    """The view's page, kept under `key` (and returned as such) when it is a plain 200; any other
    response is returned as the view made it, with this request's token in place of the placeholder."""
    built_from = _version_before_rendering(version, kwargs)
    started = time.time()  # after the version: a fragment computed before it may be older
    setattr(request, _RENDERING_FOR_EVERYONE, True)
    try:
        with ingredients_born() as births:
            response = view(request, *args, **kwargs)
    finally:
        setattr(request, _RENDERING_FOR_EVERYONE, False)
    if response.status_code != 200 or response.streaming or response.cookies or response.has_header("Cache-Control"):
        if not response.streaming and _PLACEHOLDER_BYTES in response.content:
            response.content = response.content.replace(_PLACEHOLDER_BYTES, get_token(request).encode())
        return response
    born = min(births, default=started)
    if born < started:
        built_from = None  # a kept fragment's data may be older than the version
    fresh_until = born + catalog_cache_seconds()
    page = KeptPage(
        response.content, response["Content-Type"], _PLACEHOLDER_BYTES in response.content, fresh_until, built_from
    )
    seconds = REVALIDATABLE_SECONDS if built_from is not None else fresh_until - time.time()
    if seconds > 0:
        caches["pages"].set(key, page, seconds)
    return page


def _response_for(request: HttpRequest, page: KeptPage) -> HttpResponse:
    content = page.content
    if page.has_csrf_token:
        content = content.replace(_PLACEHOLDER_BYTES, get_token(request).encode())
    response = HttpResponse(content, content_type=page.content_type)
    # Who gets this page depends on the cookies the request carries.
    patch_vary_headers(response, ("Cookie",))
    return response
