"""Browser fixtures: one Debian chromium for the browser tests, a fresh page per test at a chosen viewport,
screenshots saved under test-artifacts/, and signing in through the real form."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from .support import DESKTOP, PASSWORD, Viewport

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ALLOW_ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# How long Playwright waits for a page to show what a test expects.
expect.set_options(timeout=5_000)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One chromium for all browser tests.

    Playwright's sync API keeps an asyncio loop running in the test thread while it lives. Django
    then takes the tests' plain ORM calls for calls from async code, hence
    DJANGO_ALLOW_ASYNC_UNSAFE; and an async test (pytest-asyncio) cannot start its own loop, hence
    package scope: the browser and the setting end with the last browser test, before the rest
    of the suite runs.
    """
    previous = os.environ.get(ALLOW_ASYNC_UNSAFE)
    os.environ[ALLOW_ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ[ALLOW_ASYNC_UNSAFE]
        else:
            os.environ[ALLOW_ASYNC_UNSAFE] = previous


@pytest.fixture
def viewport() -> Viewport:
    """Desktop unless a test parametrizes `viewport`."""
    return DESKTOP


@pytest.fixture
def new_page(
    browser: Browser, live_server: Any, transactional_db: None, viewport: Viewport
) -> Iterator[Callable[[], Page]]:
    """Opens pages in fresh browser contexts (separate cookies: separate people)."""
    contexts: list[BrowserContext] = []

    def open_page() -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": viewport.width, "height": viewport.height},
            locale="en-US",
        )
        context.set_default_timeout(5_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    return new_page()


@pytest.fixture
def screenshot(page: Page, viewport: Viewport) -> Callable[..., Path]:
    """`screenshot("staff-list")` saves the whole page as <width>x<height>/staff-list.png."""

    def save(name: str, of: Page | None = None) -> Path:
        folder = SCREENSHOTS / f"{viewport.width}x{viewport.height}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        (of or page).screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """Signs in through the sign-in form; the caller asserts where that leads."""

    def submit(page: Page, username: str, password: str = PASSWORD) -> None:
        page.goto("/sign-in/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()

    return submit
