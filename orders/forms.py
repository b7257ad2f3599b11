"""Checkout and account forms. The review step carries the basket as the shopper saw it, signed, so a
tampered price, quantity or product id is refused rather than ordered."""

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core import signing

from orders.models import PickupPoint
from orders.selectors import Quote
from orders.services import BasketLine, DeliveryDetails

BASKET_SALT = "orders.checkout.basket"
BASKET_MAX_AGE_S = 2 * 60 * 60


class DeliveryForm(forms.Form):
    ADDRESS, PICKUP = "address", "pickup"

    email = forms.EmailField()
    phone = forms.RegexField(
        regex=r"^\+?[0-9 ()-]{7,20}$",
        error_messages={"invalid": "Enter a phone number of 7 to 20 digits."},
    )
    method = forms.ChoiceField(
        choices=[(ADDRESS, "Deliver to my address"), (PICKUP, "Collect from a pickup point")],
        widget=forms.RadioSelect,
        initial=ADDRESS,
    )
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=500)
    pickup_point = forms.ChoiceField(choices=[("", "---"), *PickupPoint.choices], required=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("method") == self.ADDRESS and not data.get("address", "").strip():
            self.add_error("address", "Enter the address to deliver to.")
        if data.get("method") == self.PICKUP and not data.get("pickup_point"):
            self.add_error("pickup_point", "Choose a pickup point.")
        return data

    def details(self) -> DeliveryDetails:
        data = self.cleaned_data
        pickup = data["method"] == self.PICKUP
        return DeliveryDetails(
            email=data["email"],
            phone=data["phone"],
            address="" if pickup else data["address"],
            pickup_point=data["pickup_point"] if pickup else "",
        )


def basket_sign(quote: Quote) -> str:
    return signing.dumps(
        {
            "lines": [[line.product_id, line.quantity, str(line.unit_price)] for line in quote.lines],
            "delivery_date": quote.delivery_date.isoformat() if quote.delivery_date else None,
        },
        salt=BASKET_SALT,
    )


class PlaceOrderForm(forms.Form):
    basket = forms.CharField(widget=forms.HiddenInput)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_basket(self) -> dict:
        try:
            data = signing.loads(self.cleaned_data["basket"], salt=BASKET_SALT, max_age=BASKET_MAX_AGE_S)
            lines = [BasketLine(int(pid), int(qty), Decimal(price)) for pid, qty, price in data["lines"]]
            delivery_date = dt.date.fromisoformat(data["delivery_date"]) if data["delivery_date"] else None
        except signing.SignatureExpired:
            raise forms.ValidationError("This review page is too old; please review your basket again.") from None
        except (signing.BadSignature, KeyError, TypeError, ValueError, InvalidOperation):
            raise forms.ValidationError("The order form was altered; please review your basket again.") from None
        return {"lines": lines, "delivery_date": delivery_date}

    def idempotency_key_value(self) -> uuid.UUID:
        return self.cleaned_data["idempotency_key"]


class RegistrationForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(username=email).exists():
            raise forms.ValidationError("An account with this email exists; sign in instead.")
        return email

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password") and data.get("email"):
            user = get_user_model()(username=data["email"], email=data["email"], first_name=data.get("name", ""))
            try:
                validate_password(data["password"], user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class EmailAuthenticationForm(AuthenticationForm):
    """Shoppers sign in with the email they registered with (it is their username, lower-cased)."""

    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True}))
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Please enter a correct email and password.",
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()
