"""`make compose-smoke`: bring up docker-compose.yml's stack on a machine with Docker and show that
it works end to end, then take it down again:

1. `docker compose up -d --build --wait` (every health check green, every one-shot done);
2. the storefront answers 200;
3. an order is placed through the checkout form, from a cart holding one product the script seeds;
4. its `order_placed` event is consumed: the confirmation email reaches mailpit (polled over its API);
5. `docker compose down` (data volumes are kept; `docker compose down -v` drops them).

Refuses with exit status 2, saying why, when no Docker engine answers or there is no `.env`.
Exits 1 when a step fails, after printing the services' state and recent logs.
"""

import argparse
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
SITE = "http://127.0.0.1:8000"
MAILPIT = "http://127.0.0.1:8025"
UP_TIMEOUT_S = 900
MAIL_TIMEOUT_S = 120
MAX_CHECKOUT_STEPS = 5

# Run inside the web container: one farmer's product in stock and a session whose cart holds it.
SEED = """
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from marketplace.cart import cart_set
from marketplace.models import Category, Farmer, Product
user, _ = get_user_model().objects.get_or_create(username="compose-smoke-farmer")
farmer, _ = Farmer.objects.get_or_create(
    user=user, defaults={"farm_name": "Compose Smoke Farm", "slug": "compose-smoke-farm", "town": "Springfield"}
)
category, _ = Category.objects.get_or_create(slug="compose-smoke", defaults={"name": "Compose smoke"})
product, _ = Product.objects.update_or_create(
    farmer=farmer, slug="smoke-carrots",
    defaults={"category": category, "name": "Smoke carrots", "price": "2.50", "stock": 1000, "is_active": True},
)
session = SessionStore()
cart_set(session, product_id=product.pk, quantity=1)
session.save()
print("session=" + session.session_key)
"""


class SmokeFailure(Exception):
    pass


def compose(*args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", "compose", *args], cwd=ROOT, check=check, capture_output=capture, text=True)


def refusal() -> str | None:
    """Why the smoke test cannot run here, or None when it can."""
    try:
        engine = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    except FileNotFoundError:
        return "no `docker` command on this machine"
    if engine.returncode != 0:
        said = engine.stderr.strip().splitlines() or ["docker info failed"]
        return f"no Docker engine answers ({said[-1]})"
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        return "the Docker Compose plugin (`docker compose`) is missing"
    if not (ROOT / ".env").is_file():
        return "no .env: copy .env.example to .env and fill in the secrets at its top"
    return None


class Forms(HTMLParser):
    """The POST forms of a page: their action and the fields a browser would submit."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": []})
        elif not self.forms:
            return
        elif tag in ("input", "textarea", "button") and a.get("name"):
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            self.forms[-1]["fields"].append({**a, "type": kind, "value": a.get("value", "")})
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1]["fields"].append({"name": a["name"], "type": "select", "value": None})
        elif tag == "option" and self._select:
            field = self.forms[-1]["fields"][-1]
            if a.get("value") and (field["value"] is None or "selected" in a):
                field["value"] = a["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def field_value(field: dict, email: str) -> str | None:
    """What a shopper would enter: kept values first, then a plausible answer by the field's name."""
    name, kind = field["name"].lower(), field["type"]
    if kind in ("hidden", "select") or (field["value"] and kind not in ("checkbox", "radio")):
        return field["value"]
    if kind == "checkbox":
        return (field["value"] or "on") if ("checked" in field or "required" in field) else None
    if kind == "radio":
        return field["value"]
    guesses = {
        "email": email,
        "phone": "+15555550123",
        "name": "Compose Smoke",
        "address": "1 Market Street",
        "street": "1 Market Street",
        "city": "Springfield",
        "town": "Springfield",
        "zip": "62701",
        "post": "62701",
        "state": "IL",
    }
    if kind == "email":
        return email
    return next((value for key, value in guesses.items() if key in name), "1" if kind == "number" else "smoke")


def form_data(form: dict, email: str) -> dict[str, str]:
    data: dict[str, str] = {}
    submitted = False
    for field in form["fields"]:
        if field["type"] == "submit":
            if not submitted:
                data[field["name"]], submitted = field["value"], True
            continue
        if field["type"] == "radio" and field["name"] in data and "checked" not in field:
            continue
        value = field_value(field, email)
        if value is not None:
            data[field["name"]] = value
    return data


def checkout_forms(page: requests.Response) -> list[dict]:
    parser = Forms()
    parser.feed(page.text)
    return [
        form
        for form in parser.forms
        if form["method"] == "post" and urlsplit(urljoin(page.url, form["action"])).path.startswith("/checkout/")
    ]


def place_order(browser: requests.Session, email: str) -> str:
    """Walk the checkout form (details, delivery date, review, place) and return the final page's URL."""
    page = browser.get(f"{SITE}/checkout/", timeout=30)
    if page.status_code != 200:
        raise SmokeFailure(f"GET /checkout/ answered {page.status_code}")
    for _step in range(MAX_CHECKOUT_STEPS):
        forms = checkout_forms(page)
        if not forms:
            return page.url
        page = browser.post(urljoin(page.url, forms[0]["action"]), data=form_data(forms[0], email), timeout=30)
        if page.status_code != 200:
            raise SmokeFailure(f"checkout step at {page.url} answered {page.status_code}")
    raise SmokeFailure(f"checkout still shows a form after {MAX_CHECKOUT_STEPS} steps (at {page.url})")


def wait_for_mail(email: str) -> str:
    deadline = time.monotonic() + MAIL_TIMEOUT_S
    while time.monotonic() < deadline:
        found = requests.get(f"{MAILPIT}/api/v1/search", params={"query": f'to:"{email}"'}, timeout=10).json()
        if found.get("messages"):
            return found["messages"][0]["Subject"]
        time.sleep(2)
    raise SmokeFailure(f"no email to {email} reached mailpit within {MAIL_TIMEOUT_S} s")


def smoke() -> None:
    print("compose-smoke: docker compose up (builds the image on the first run)", flush=True)
    if compose("up", "-d", "--build", "--wait", "--wait-timeout", str(UP_TIMEOUT_S), check=False).returncode:
        raise SmokeFailure("docker compose up did not converge")

    storefront = requests.get(f"{SITE}/", timeout=30)
    if storefront.status_code != 200:
        raise SmokeFailure(f"the storefront answered {storefront.status_code}")
    print("compose-smoke: storefront 200", flush=True)

    seeded = compose("exec", "-T", "web", "python", "manage.py", "shell", "--command", SEED, capture=True)
    session_key = next(line for line in seeded.stdout.splitlines() if line.startswith("session=")).split("=", 1)[1]
    browser = requests.Session()
    browser.cookies.set("sessionid", session_key, domain="127.0.0.1", path="/")
    email = f"compose-smoke-{uuid.uuid4().hex[:12]}@example.com"
    confirmation = place_order(browser, email)
    print(f"compose-smoke: order placed for {email} (ended on {confirmation})", flush=True)

    subject = wait_for_mail(email)
    print(f"compose-smoke: confirmation email consumed and sent: {subject!r}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="leave the stack running afterwards")
    keep = parser.parse_args().keep
    reason = refusal()
    if reason:
        print(f"compose-smoke: refusing to run: {reason}", file=sys.stderr)
        return 2
    try:
        smoke()
    except (SmokeFailure, subprocess.CalledProcessError, requests.RequestException, StopIteration) as failure:
        print(f"compose-smoke: FAILED: {failure!r}", file=sys.stderr)
        compose("ps", "--all", check=False)
        compose("logs", "--tail", "40", check=False)
        return 1
    finally:
        if not keep:
            compose("down", check=False)
    print("compose-smoke: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
