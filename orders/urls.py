from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/review/", views.review, name="review"),
    path("orders/", views.history, name="history"),
    path("orders/<str:reference>/", views.detail, name="detail"),
    path("orders/<str:reference>/confirmation/", views.confirmation, name="confirmation"),
]
