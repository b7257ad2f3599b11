from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path

from urbanharvest.admin_views import view_on_site

urlpatterns = [
    # Ahead of the admin's own "view on site" URL, which redirects for any object of any model.
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
    path("admin/", admin.site.urls),
    path("", include("ops.urls")),
    path("", include("marketplace.urls")),
    path("", include("orders.urls")),
    path("accounts/", include("orders.account_urls")),
]
# Serves static files from the app server only with DEBUG on and a local STATIC_URL (`make run`).
urlpatterns += staticfiles_urlpatterns()
