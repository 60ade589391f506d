"""The console in Debian's Chromium (apt's `chromium`, never a downloaded browser), driven by Playwright,
against a real server process loaded with the demo district. Screenshots: test-artifacts/console/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.ui.server_process import REPO, ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "test-artifacts" / "console"
DEMO_PASSWORD = "saferound-demo"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("console"))
    process.env["SAFEROUND_PUBLIC_BASE_URL"] = process.url  # the posters' QR codes point at this very server
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; `make deps-test` does)"
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def sign_in(browser: Browser, server: ServerProcess, username: str, lang: str = "zh") -> Page:
    """A fresh browser context (its own cookies) signed in through the login form, at 1366×768."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN" if lang == "zh" else "en-US"
    )
    page = context.new_page()
    if lang == "en":
        page.goto(f"{server.url}/lang/en")
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    return page


def shot(page: Page, name: str, lang: str, full_page: bool = True) -> Path:
    path = SHOTS / f"{name}-{lang}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
