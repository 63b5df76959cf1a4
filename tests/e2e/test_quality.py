"""Quality review in a real browser, against the product's ASGI application with the dialer
engine in process (tests/desk/server.py): an agent records a sale on the desk, a reviewer calls
the beneficiary and returns the sale with a reason, the agent sees it on the desk, fixes the
work sheet and resubmits, the reviewer sees the change tracked and accepts, and the sale counts
toward the campaign's objective. At phone, tablet and desktop widths, with screenshots."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from dialcrm.core.choices import Role
from dialcrm.desk.models import Sale
from dialcrm.quality.models import ReviewStep, SaleCorrection
from dialcrm.quality.services import objective_progress
from tests.desk.conftest import DeskCampaign, make_desk_campaign

from .support import VIEWPORTS, Viewport, path_is
from .test_desk import _server, no_sideways_scrolling, save_screenshot, start_work

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(org: Any, transactional_db: None) -> DeskCampaign:
    return make_desk_campaign(org, leads=2, record_calls=True)


@pytest.fixture
def recordings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the server finds call recordings (the simulated phone system writes no files)."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    monkeypatch.setenv("RECORDINGS_DIR", str(folder))
    return folder


@pytest.fixture
def open_page(
    browser: Browser, desk: DeskCampaign, tmp_path: Path, viewport: Viewport, recordings: Path
) -> Iterator[Callable[[], Page]]:
    contexts = []
    with _server(tmp_path) as url:

        def new_page() -> Page:
            context = browser.new_context(
                base_url=url,
                viewport={"width": viewport.width, "height": viewport.height},
                locale="en-US",
            )
            context.set_default_timeout(10_000)
            contexts.append(context)
            return context.new_page()

        yield new_page
        for context in contexts:
            context.close()


def _record_a_sale(page: Page) -> None:
    """On the desk: take the call, fill the sheet, set the sale status, pause after it."""
    page.get_by_test_id("ready").click()
    expect(page.get_by_test_id("call-panel")).to_be_visible()
    sheet = page.get_by_test_id("sheet")
    sheet.get_by_label("Full name *").fill("Ana Popescu")
    sheet.get_by_label("Plan *").select_option("Basic")
    page.get_by_test_id("status-SALE").click()
    page.get_by_test_id("add-product").click()
    page.get_by_test_id("product-0").select_option(label="Energy Plus (PLUS)")
    page.get_by_test_id("quantity-0").fill("1")
    page.get_by_test_id("go-ready").uncheck()
    page.get_by_test_id("pause-after").select_option("lunch")
    page.get_by_test_id("submit-status").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Status recorded")
    expect(page.get_by_test_id("call-panel")).to_be_hidden()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_a_sale_is_returned_fixed_resubmitted_and_accepted(
    open_page: Callable[[], Page],
    desk: DeskCampaign,
    org: Any,
    viewport: Viewport,
    sign_in: Callable[..., None],
    recordings: Path,
) -> None:
    agent = open_page()
    start_work(agent, sign_in, desk)
    _record_a_sale(agent)
    sale = Sale.objects.get(agent=desk.agent)
    assert sale.state == "pending"
    attempt = sale.disposition.attempt
    assert attempt.recording == f"campaign-{desk.campaign.pk}-{attempt.call_id}"
    (recordings / f"{attempt.recording}.wav").write_bytes(b"RIFF-test-WAVE")

    # The reviewer finds it in the queue, calls the beneficiary and returns it to the agent.
    reviewer = open_page()
    sign_in(reviewer, org[Role.QUALITY].username)
    expect(reviewer).to_have_url(path_is("/"))
    reviewer.goto("/quality/")
    expect(reviewer.get_by_test_id("queue-row")).to_have_count(1)
    expect(reviewer.get_by_test_id("queue-row")).to_contain_text("Pending quality review")
    save_screenshot(reviewer, viewport, "quality-queue")
    reviewer.get_by_test_id("open-review").click()
    expect(reviewer).to_have_url(path_is(f"/quality/sales/{sale.pk}/"))
    expect(reviewer.get_by_test_id("answer-plan")).to_have_text("Basic")
    expect(reviewer.get_by_test_id("lines")).to_contain_text("1 × Energy Plus")
    expect(reviewer.get_by_test_id("history-item").first).to_contain_text("Asked to be called")
    expect(reviewer.get_by_test_id("recording")).to_be_attached()
    played = reviewer.request.get(f"/quality/sales/{sale.pk}/recording/")
    assert (played.status, played.body()) == (200, b"RIFF-test-WAVE")
    assert agent.request.get(f"/quality/sales/{sale.pk}/recording/").status == 403
    confirmation = reviewer.get_by_test_id("confirmation")
    confirmation.get_by_label("Outcome of the call").select_option("disputed")
    confirmation.get_by_label("Note").fill("She ordered Plus, not Basic")
    confirmation.get_by_test_id("record-confirmation").click()
    expect(reviewer.get_by_test_id("step").first).to_contain_text("The beneficiary disputes")
    assert no_sideways_scrolling(reviewer)
    save_screenshot(reviewer, viewport, "quality-review")
    decision = reviewer.get_by_test_id("decision")
    decision.get_by_label("Reason").fill("The beneficiary wants the Plus plan: fix the plan.")
    decision.get_by_test_id("reject").click()
    expect(reviewer).to_have_url(path_is("/quality/"))
    expect(reviewer.get_by_test_id("queue-row")).to_have_count(0)

    # The agent sees it on the desk, fixes the plan and resubmits.
    agent.goto("/desk/")
    returned = agent.get_by_test_id("returned-sales")
    expect(returned).to_contain_text("1 sale returned to you")
    save_screenshot(agent, viewport, "desk-returned-sale")
    returned.click()
    expect(agent.get_by_test_id("return-reason")).to_contain_text("wants the Plus plan")
    agent.get_by_test_id("fix").click()
    fix = agent.get_by_test_id("fix-form")
    fix.get_by_label("Plan *").select_option("Plus")
    fix.get_by_label("Note for the reviewer").fill("Plan set to Plus")
    assert no_sideways_scrolling(agent)
    save_screenshot(agent, viewport, "quality-fix")
    fix.get_by_test_id("resubmit").click()
    expect(agent).to_have_url(path_is("/quality/mine/"))
    expect(agent.get_by_test_id("my-sale")).to_contain_text("Fixed and resubmitted")

    # Back in the queue, the change tracked; the reviewer accepts: it counts.
    reviewer.reload()
    expect(reviewer.get_by_test_id("queue-row")).to_contain_text("Fixed and resubmitted")
    reviewer.get_by_test_id("open-review").click()
    correction = reviewer.get_by_test_id("correction")
    expect(correction).to_have_count(1)
    expect(correction).to_contain_text("Plan")
    expect(correction.get_by_test_id("before")).to_have_text("Basic")
    expect(correction.get_by_test_id("after")).to_have_text("Plus")
    expect(correction).to_contain_text("North.Agent")
    reviewer.get_by_test_id("accept").click()
    expect(reviewer).to_have_url(path_is("/quality/"))
    expect(
        reviewer.get_by_text(re.compile(r"accepted: it counts toward the objective"))
    ).to_be_visible()

    agent.goto("/desk/")
    expect(agent.get_by_test_id("sales-accepted")).to_have_text("1")
    expect(agent.get_by_test_id("returned-sales")).to_have_count(0)
    save_screenshot(agent, viewport, "desk-accepted-sale")

    sale.refresh_from_db()
    assert sale.state == "accepted"
    assert sale.disposition.answers["plan"] == "Plus"
    assert objective_progress([desk.campaign.pk]) == {desk.campaign.pk: 1}
    assert list(
        ReviewStep.objects.filter(sale=sale).order_by("pk").values_list("kind", flat=True)
    ) == ["confirmation", "rejected", "resubmitted", "accepted"]
    assert list(SaleCorrection.objects.values_list("field", "old_value", "new_value")) == [
        ("answers.plan", "Basic", "Plus")
    ]
