"""A campaign the dialer paused at its abandon guard, in the browser: the screen says why, a
start is refused while the rate is over the cap, and a reason resumes it (the audited override)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dialcrm.campaigns import services
from dialcrm.campaigns.choices import StopReason
from dialcrm.core.choices import Role
from tests.dialer.engine.conftest import make_running_campaign
from tests.dialer.engine.test_stops import _attempts

from .support import VIEWPORTS, Viewport

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_a_manager_sees_why_the_dialer_paused_and_resumes_with_a_reason(
    page: Page,
    org: Any,
    sign_in: Callable[..., None],
    screenshot: Callable[..., Any],
    viewport: Viewport,
) -> None:
    running = make_running_campaign(org, leads=3)
    services.system_stop(running.campaign.pk, StopReason.ABANDON_GUARD)
    _attempts(running, answers=60, abandoned=3)
    sign_in(page, org[Role.LOCATION_MANAGER].username)

    page.goto(f"/campaigns/{running.campaign.pk}/")
    expect(page.get_by_test_id("campaign-state")).to_have_text("Paused")
    expect(page.locator("main")).to_contain_text("Stopped by the dialer: Abandon rate at its cap")
    screenshot("campaign-stopped-by-the-dialer")

    page.get_by_test_id("action-start").click()
    expect(page.locator("main")).to_contain_text("The abandon rate is still 5.00%")
    expect(page.get_by_test_id("campaign-state")).to_have_text("Paused")

    page.get_by_test_id("resume-reason").fill("The client accepts the risk")
    page.get_by_test_id("action-start").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("Running")
    expect(page.locator("main")).to_contain_text("The client accepts the risk")
    screenshot("campaign-resumed-after-the-guard")
