"""Posting deliveries: the signature, one HTTP attempt with a timeout, and the worker's periodic
work that sends what is due and retries failures with exponential backoff and jitter.

Each POST carries `X-Dialcrm-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
with `X-Dialcrm-Timestamp: <unix seconds>`; receivers recompute it (docs/webhooks.md). Any 2xx
answer is a success; anything else (another status, a timeout, a refused connection, an address
inside the installation's networks) is tried again after 1, 2, 4... times
WEBHOOK_RETRY_BASE_S (each wait drawn between half and all of that, so receivers coming back
are not hit by every delivery at once), until WEBHOOK_MAX_ATTEMPTS, then the delivery fails.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import random
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialcrm.core.worker import claim_due
from dialcrm.webhooks.choices import DeliveryState
from dialcrm.webhooks.models import Delivery, DeliveryAttempt, Subscription
from dialcrm.webhooks.services import encode
from dialcrm.webhooks.targets import RefusedTarget, connection

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Dialcrm-Signature"
TIMESTAMP_HEADER = "X-Dialcrm-Timestamp"
BATCH = 50  # deliveries taken per round
SENDERS = 8  # receivers posted to at once
RESPONSE_KEPT = 1000  # characters of the receiver's answer kept in the log
USER_AGENT = "dialcrm-webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Answer:
    """What one POST gave."""

    status: int | None
    duration_ms: int
    error: str = ""
    body: str = ""

    @property
    def is_success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, secret: str, delivery: Delivery) -> Answer:
    """One POST of the delivery's payload, signed now; never raises."""
    body = encode(delivery.payload)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Dialcrm-Event": delivery.event,
        "X-Dialcrm-Event-Id": str(delivery.event_id),
        "X-Dialcrm-Delivery": str(delivery.pk),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    timeout = settings.WEBHOOK_TIMEOUT_S
    try:
        conn, path = connection(url, timeout)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read(RESPONSE_KEPT).decode("utf-8", "replace")
        finally:
            conn.close()
    except RefusedTarget as refused:
        return Answer(None, elapsed(), str(refused))
    except TimeoutError:
        return Answer(None, elapsed(), _("No answer within %(seconds)d s.") % {"seconds": timeout})
    except ssl.SSLError as error:
        return Answer(None, elapsed(), _("TLS failed: %(error)s") % {"error": error})
    except socket.gaierror:
        return Answer(None, elapsed(), _("The host name could not be resolved."))
    except (OSError, ValueError) as error:  # refused, reset, unreachable, a malformed answer
        return Answer(None, elapsed(), _("Could not post: %(error)s") % {"error": error})
    error = (
        ""
        if 200 <= response.status < 300
        else _("The receiver answered %(status)d.") % {"status": response.status}
    )
    return Answer(response.status, elapsed(), error, answer)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failure: base x 2^(n-1), drawn in its upper half."""
    ceiling = settings.WEBHOOK_RETRY_BASE_S * 2 ** (attempts - 1)
    return datetime.timedelta(seconds=random.uniform(ceiling / 2, ceiling))


OUTCOME_FIELDS = [
    "attempts",
    "last_attempt_at",
    "response_status",
    "duration_ms",
    "error",
    "state",
    "next_attempt_at",
]


def _outcome(
    delivery: Delivery, answer: Answer, now: datetime.datetime, retry: bool
) -> DeliveryAttempt:
    """Set an attempt's outcome on the delivery (delivered, retried later, or failed) and
    return the attempt's log row; the caller saves both."""
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = answer.status
    delivery.duration_ms = answer.duration_ms
    delivery.error = answer.error[:500]
    retry_at = None
    if answer.is_success:
        delivery.state = DeliveryState.DELIVERED
    elif retry and delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.state = DeliveryState.PENDING
        retry_at = now + backoff(delivery.attempts)
    else:
        delivery.state = DeliveryState.FAILED
    delivery.next_attempt_at = retry_at
    return DeliveryAttempt(
        delivery=delivery,
        number=delivery.attempts,
        at=now,
        response_status=answer.status,
        duration_ms=answer.duration_ms,
        error=delivery.error,
        response_body=answer.body[:RESPONSE_KEPT],
        retry_at=retry_at,
    )


def _save(deliveries: list[Delivery], attempts: list[DeliveryAttempt]) -> None:
    """A round's outcomes in one transaction."""
    with transaction.atomic():
        Delivery.objects.bulk_update(deliveries, OUTCOME_FIELDS)
        DeliveryAttempt.objects.bulk_create(attempts)


def _inactive_answer() -> Answer:
    return Answer(None, 0, _("Not sent: the webhook is deactivated."))


def send_now(delivery: Delivery) -> Delivery:
    """One attempt now, without retries (test-send and sending again by hand)."""
    subscription = delivery.subscription
    now = timezone.now()
    answer = (
        post(subscription.url, subscription.secret, delivery)
        if subscription.is_active
        else _inactive_answer()
    )
    _save([delivery], [_outcome(delivery, answer, now, retry=False)])
    return delivery


def deliver_due(now: datetime.datetime) -> int:
    """The worker's periodic work: post the deliveries whose time has come (several receivers
    at once), record each answer; how many were handled."""
    # Long enough for the round's slowest wave of posts, each up to the timeout.
    waves = -(-BATCH // SENDERS)
    lease = datetime.timedelta(seconds=waves * settings.WEBHOOK_TIMEOUT_S + 30)
    due = claim_due(
        Delivery.objects.filter(state=DeliveryState.PENDING).select_related("subscription"),
        "next_attempt_at",
        now,
        lease=lease,
        limit=BATCH,
    )
    if not due:
        return 0
    active = [delivery for delivery in due if delivery.subscription.is_active]
    with ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="webhook") as pool:
        answers = dict(
            zip(
                (delivery.pk for delivery in active),
                pool.map(
                    lambda delivery: post(
                        delivery.subscription.url, delivery.subscription.secret, delivery
                    ),
                    active,
                ),
                strict=True,
            )
        )
    attempts = []
    for delivery in due:
        answer = answers.get(delivery.pk) or _inactive_answer()
        attempts.append(_outcome(delivery, answer, now, retry=delivery.pk in answers))
        if not answer.is_success:
            logger.info("webhook delivery %s: %s", delivery.pk, answer.error)
    _save(due, attempts)
    return len(due)


PRUNE_BATCH = 5000


def prune_log(now: datetime.datetime) -> int:
    """The worker's hourly work: forget deliveries done (delivered or failed) more than
    WEBHOOK_LOG_DAYS ago, with their attempts, a batch at a time; how many were removed."""
    cutoff = now - datetime.timedelta(days=settings.WEBHOOK_LOG_DAYS)
    removed = 0
    for subscription_id in Subscription.objects.values_list("pk", flat=True):
        old = Delivery.objects.filter(subscription_id=subscription_id, created_at__lt=cutoff)
        ids = list(
            old.exclude(state=DeliveryState.PENDING).values_list("pk", flat=True)[
                : PRUNE_BATCH - removed
            ]
        )
        if ids:
            with transaction.atomic():
                DeliveryAttempt.objects.filter(delivery_id__in=ids).delete()
                Delivery.objects.filter(pk__in=ids).delete()
            removed += len(ids)
        if removed >= PRUNE_BATCH:
            break
    return removed
