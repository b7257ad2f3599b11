from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("marketplace.urls")),
    path("", include("orders.urls")),
    path("accounts/", include("orders.account_urls")),
]
