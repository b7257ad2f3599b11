"""Whole storefront pages kept a few seconds for the visitors they are the same for.

A visitor with no session and no pending messages (a first visit, a crawler, anyone who has never
added to a cart or signed in) is anonymous with an empty cart, so a catalog page shows them exactly
what it shows every other such visitor, except the CSRF token of its forms. Such a page is rendered
once with a placeholder where the token goes, kept as bytes, and each request gets its own token
(the same masked token of its own CSRF cookie that `{% csrf_token %}` would have rendered) put in
its place: no visitor ever sees another's token or cart. Anyone with a session, or whose reads must
be fresh (pinned to the primary after a write, inside a transaction), gets the page rendered for
them as before.

A kept page is catalog data like any fragment (marketplace/fragments.py): it lives no longer than
the catalog cache allows from the moment its oldest fragment was computed, so its age stays within the
replica lag bound.
"""

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe

from marketplace.fragments import catalog_cache_seconds, ingredients_born
from routers.replica import reads_must_be_fresh

KEY_PREFIX = "page:"
# Rendered where `{% csrf_token %}` puts the token. Autoescaping turns any `<` that catalog text
# brings into `&lt;`, so no product or farm can put this string on a page.
CSRF_PLACEHOLDER: SafeString = mark_safe("<csrf-token-of-this-request>")
_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
_RENDERING_FOR_EVERYONE = "_page_for_everyone"


@dataclass(frozen=True)
class KeptPage:
    content: bytes
    content_type: str
    has_csrf_token: bool


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


def kept_for_everyone(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A catalog view whose page is kept for the visitors it is the same for (see the module)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not page_same_for_everyone(request) or catalog_cache_seconds() <= 0:
            return view(request, *args, **kwargs)
        key = KEY_PREFIX + hashlib.sha256(request.get_full_path().encode()).hexdigest()
        page = caches["pages"].get(key)
        if page is None:
            page = _render_for_everyone(key, view, request, args, kwargs)
            if isinstance(page, HttpResponse):
                return page
        return _response_for(request, page)

    return wrapped


def _render_for_everyone(
    key: str, view: Callable[..., HttpResponse], request: HttpRequest, args: tuple, kwargs: dict
) -> KeptPage | HttpResponse:
    """The view's page, kept under `key` (and returned as such) when it is a plain 200; any other
    response is returned as the view made it, with this request's token in place of the placeholder."""
    setattr(request, _RENDERING_FOR_EVERYONE, True)
    started = time.time()
    try:
        with ingredients_born() as births:
            response = view(request, *args, **kwargs)
    finally:
        setattr(request, _RENDERING_FOR_EVERYONE, False)
    if response.status_code != 200 or response.streaming or response.cookies or response.has_header("Cache-Control"):
        if not response.streaming and _PLACEHOLDER_BYTES in response.content:
            response.content = response.content.replace(_PLACEHOLDER_BYTES, get_token(request).encode())
        return response
    page = KeptPage(response.content, response["Content-Type"], _PLACEHOLDER_BYTES in response.content)
    seconds = catalog_cache_seconds() - (time.time() - min(births, default=started))
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
