"""The admin's "view on site" redirect, limited to objects the user's own admin can see, so a farmer
cannot learn where another farm's (possibly inactive) product lives by trying ids."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404


def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    content_type = get_object_or_404(ContentType, pk=content_type_id)
    model_admin = admin.site._registry.get(content_type.model_class())
    if model_admin is None:
        raise Http404("no such object")
    try:
        visible = model_admin.get_queryset(request).filter(pk=object_id).exists()
    except (ValueError, ValidationError):
        visible = False
    if not visible:
        raise Http404("no such object")
    return shortcut(request, content_type_id, object_id)
