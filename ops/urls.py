from django.urls import path

from ops import views

app_name = "ops"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("ops/", views.dashboard, name="dashboard"),
    path("ops/deliveries/", views.delivery_day, name="delivery_day"),
]
