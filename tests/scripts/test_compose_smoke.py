"""scripts/compose_smoke.py where no stack can run: its refusal, and how it fills the checkout form."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import requests

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compose_smoke.py"
_spec = importlib.util.spec_from_file_location("compose_smoke", SCRIPT)
smoke = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(smoke)

CHECKOUT_PAGE = """
<form method="get" action="/search/"><input name="q"></form>
<form method="post" action="/accounts/logout/"><input type="hidden" name="csrfmiddlewaretoken" value="t"></form>
<form method="post" action="">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <input type="email" name="email">
  <input type="tel" name="phone">
  <input name="full_name">
  <textarea name="address_line1"></textarea>
  <input name="postcode" value="60601">
  <select name="delivery_date"><option value="">Choose</option><option value="2026-12-05">Sat</option></select>
  <input type="radio" name="fulfilment" value="delivery">
  <input type="radio" name="fulfilment" value="pickup" checked>
  <input type="checkbox" name="newsletter" value="yes">
  <input type="checkbox" name="accept_terms" required>
  <button type="submit" name="action" value="review">Review</button>
</form>
"""


def page(html: str, url: str) -> requests.Response:
    response = requests.Response()
    response._content, response.url, response.encoding, response.status_code = html.encode(), url, "utf-8", 200
    return response


def test_it_refuses_clearly_where_no_docker_engine_answers():
    if smoke.refusal() is None:
        pytest.skip("a Docker engine answers here: `make compose-smoke` runs the real thing")

    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "compose-smoke: refusing to run:" in result.stderr


def test_it_follows_only_the_checkout_forms_post():
    forms = smoke.checkout_forms(page(CHECKOUT_PAGE, "http://127.0.0.1:8000/checkout/"))

    assert [form["action"] for form in forms] == [""]


def test_it_fills_the_checkout_form_as_a_shopper_would():
    form = smoke.checkout_forms(page(CHECKOUT_PAGE, "http://127.0.0.1:8000/checkout/"))[0]

    data = smoke.form_data(form, "shopper@example.com")

    assert data == {
        "csrfmiddlewaretoken": "tok",
        "email": "shopper@example.com",
        "phone": "+15555550123",
        "full_name": "Compose Smoke",
        "address_line1": "1 Market Street",
        "postcode": "60601",
        "delivery_date": "2026-12-05",
        "fulfilment": "pickup",
        "accept_terms": "on",
        "action": "review",
    }
