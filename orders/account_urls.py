"""Shoppers' accounts: Django's own sign-in and sign-out views, and registration."""

from django.contrib.auth import views as auth_views
from django.urls import path

from orders import views
from orders.forms import EmailAuthenticationForm

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
]
