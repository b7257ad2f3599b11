"""The ops pages' query forms."""

import datetime as dt

from django import forms
from django.utils import timezone


class DeliveryDayForm(forms.Form):
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def day_or_tomorrow(self) -> dt.date:
        """The day asked for; without one, tomorrow (next-day delivery: the day being packed)."""
        return self.cleaned_data.get("day") or timezone.localdate() + dt.timedelta(days=1)
