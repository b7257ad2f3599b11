"""A real headless Chromium (Debian's package), driven by Playwright."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _install_chromium() -> str | None:
    """Install Debian's chromium when it is missing and we can; the reason we cannot otherwise."""
    if CHROMIUM.exists():
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "Chromium is not installed and this user cannot apt-get install it"
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        result = subprocess.run(
            cmd, capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        )
        if result.returncode != 0:
            return f"installing Chromium failed: {result.stderr[-500:]}"
    return None


@pytest.fixture(scope="session")
def chromium_installed() -> None:
    reason = _install_chromium()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(chromium_installed):
    """One Chromium per browser-test module. Playwright's sync API keeps an event loop running on
    this thread while it lives, so Django's async guard is relaxed for those modules only."""
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
