"""A receiver on the loopback (allowed here as an on-premise network) and a company's webhook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dialcrm.webhooks.choices import Event
from dialcrm.webhooks.models import Subscription
from dialcrm.webhooks.services import forget_subscriptions
from tests.webhooks.receiver import Receiver, start_receiver


@pytest.fixture(autouse=True)
def _webhook_settings(settings: Any) -> Iterator[None]:
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_TIMEOUT_S = 2
    forget_subscriptions()
    yield
    forget_subscriptions()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def subscribe(company: Any, url: str, events: list[str], name: str = "CRM") -> Subscription:
    subscription = Subscription.objects.create(company=company, name=name, url=url, events=events)
    forget_subscriptions()
    return subscription


@pytest.fixture
def subscription(org: Any, receiver: Receiver) -> Subscription:
    return subscribe(
        org.company, receiver.url, [event.value for event in Event if event != Event.TEST]
    )
