"""An administrator sets up a webhook in the browser, sends a test to a receiver on the loopback
and finds it in the delivery log, at phone, tablet and desktop sizes."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dialcrm.core.choices import Role
from dialcrm.webhooks.models import Delivery, Subscription
from tests.webhooks.receiver import Receiver, start_receiver

from .support import VIEWPORTS, Viewport, path_is
from .test_screens import assert_no_sideways_scrolling

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # an on-premise receiver
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_an_administrator_adds_a_webhook_and_tests_it(
    page: Page,
    org: Any,
    viewport: Viewport,
    receiver: Receiver,
    sign_in: Callable[..., None],
    screenshot: Callable[..., Any],
) -> None:
    administrator = org[Role.ADMINISTRATOR]
    administrator.is_two_factor_exempt = True
    administrator.save()
    sign_in(page, administrator.username)
    expect(page).to_have_url(path_is("/"))

    page.goto("/webhooks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    page.get_by_test_id("add").click()
    page.locator("#id_name").fill("Billing platform")
    page.locator("#id_url").fill("ftp://billing.example.com/in")
    page.get_by_label("Sale created").check()
    page.get_by_label("Sale accepted").check()
    page.get_by_test_id("save").click()
    expect(page.locator(".invalid-feedback[data-field=url]")).to_contain_text(
        "Only http:// and https:// addresses can receive webhooks"
    )
    screenshot("webhook-refused-address")
    assert_no_sideways_scrolling(page)
    page.locator("#id_url").fill(receiver.url)
    page.get_by_test_id("save").click()

    subscription = Subscription.objects.get()
    expect(page.get_by_test_id("webhook-secret")).to_have_text(subscription.secret)
    assert subscription.events == ["sale.accepted", "sale.created"]
    screenshot("webhook-secret")
    assert_no_sideways_scrolling(page)
    page.get_by_test_id("done").click()
    expect(page).to_have_url(path_is(f"/webhooks/{subscription.pk}/"))
    expect(page.get_by_test_id("webhook-url")).to_have_text(receiver.url)
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)

    page.get_by_test_id("test-send").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Test delivered: the receiver answered 200"
    )
    rows = page.get_by_test_id("delivery-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("webhook.test")
    expect(rows.first.get_by_test_id("delivery-state")).to_have_text("Delivered")
    expect(rows.first.get_by_test_id("delivery-status")).to_have_text("200")
    screenshot("webhook-delivery-log")
    assert_no_sideways_scrolling(page)

    (request,) = receiver.received
    timestamp = request.headers["X-Dialcrm-Timestamp"]
    expected = hmac.new(
        subscription.secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    assert request.headers["X-Dialcrm-Signature"] == f"v1={expected}"
    assert json.loads(request.body)["data"]["sent_by"]["username"] == administrator.username

    rows.first.get_by_role("link").click()
    delivery = Delivery.objects.get()
    expect(page).to_have_url(path_is(f"/webhooks/deliveries/{delivery.pk}/"))
    expect(page.get_by_test_id("payload")).to_contain_text('"event": "webhook.test"')
    expect(page.get_by_test_id("attempts")).to_contain_text("200")
    screenshot("webhook-delivery")
    assert_no_sideways_scrolling(page)
