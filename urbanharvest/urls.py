from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("marketplace.urls")),
    path("", include("orders.urls")),
    path("accounts/", include("orders.account_urls")),
]
# Serves static files from the app server only with DEBUG on and a local STATIC_URL (`make run`).
urlpatterns += staticfiles_urlpatterns()
