"""Each person sees the product in the language of their profile, from the moment they sign in
(the Romanian catalogue is src/dialcrm/locale/ro/LC_MESSAGES/django.po)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dialcrm.core.choices import Role

from .support import path_is

pytestmark = pytest.mark.e2e


def test_a_romanian_speaker_gets_romanian_pages_after_signing_in(
    new_page: Callable[[], Page], org: Any, sign_in: Callable[..., None]
) -> None:
    agent = org[Role.AGENT]
    agent.language = "ro"
    agent.save()

    page = new_page()
    page.goto("/sign-in/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    sign_in(page, agent.username)

    expect(page).to_have_url(path_is("/"))
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bună ziua, North.Agent")
    expect(page.locator("main .card-header", has_text="Organizație")).to_have_count(1)
    page.goto("/org/teams/")
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    expect(page.get_by_role("heading", level=1)).to_have_text("Echipe")

    # The language belongs to the person, not to the installation.
    page = new_page()
    sign_in(page, org["teammate"].username)
    expect(page).to_have_url(path_is("/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, North.Teammate")
