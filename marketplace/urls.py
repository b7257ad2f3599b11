from django.urls import path

from marketplace import views

app_name = "marketplace"
urlpatterns = [
    path("", views.home, name="home"),
    path("products/", views.product_list, name="product_list"),
    path("farms/", views.farmer_list, name="farmer_list"),
    path("farms/<slug:slug>/", views.farmer_detail, name="farmer_detail"),
    path("farms/<slug:farmer_slug>/<slug:product_slug>/", views.product_detail, name="product_detail"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/update/", views.cart_update, name="cart_update"),
    path("cart/remove/", views.cart_remove, name="cart_remove"),
]
