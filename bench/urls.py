"""The site's URLs plus the framework's floor: a page of a given size from memory, through the same
middleware, with no database and no template."""

from functools import cache

from django.http import HttpRequest, HttpResponse
from django.urls import path

from urbanharvest.urls import urlpatterns as site_urlpatterns

MAX_FLOOR_BYTES = 1_000_000


@cache
def _page(size: int) -> bytes:
    return b"<!doctype html>" + b"x" * max(size - 15, 0)


def floor(request: HttpRequest, size: int) -> HttpResponse:
    return HttpResponse(_page(min(size, MAX_FLOOR_BYTES)), content_type="text/html; charset=utf-8")


urlpatterns = [path("bench/floor/<int:size>/", floor), *site_urlpatterns]
