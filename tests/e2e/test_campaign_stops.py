"""A campaign the dialer completed at a stop condition, in the browser: the campaign's screen
says why, at phone, tablet and desktop widths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dialcrm.campaigns import services
from dialcrm.campaigns.choices import StopReason
from dialcrm.core.choices import Role
from tests.dialer.engine.conftest import make_running_campaign

from .support import VIEWPORTS, Viewport

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_a_manager_sees_why_the_dialer_completed_the_campaign(
    page: Page,
    org: Any,
    sign_in: Callable[..., None],
    screenshot: Callable[..., Any],
    viewport: Viewport,
) -> None:
    running = make_running_campaign(org, leads=3)
    services.system_stop(running.campaign.pk, StopReason.OBJECTIVE_REACHED)
    sign_in(page, org[Role.LOCATION_MANAGER].username)

    page.goto(f"/campaigns/{running.campaign.pk}/")
    expect(page.get_by_test_id("campaign-state")).to_have_text("Completed")
    expect(page.locator("main")).to_contain_text("Stopped by the dialer: Objective reached")
    # A completed campaign is not started again: only the actions it allows are offered.
    expect(page.get_by_test_id("action-start")).to_have_count(0)
    screenshot("campaign-completed-by-the-dialer")
