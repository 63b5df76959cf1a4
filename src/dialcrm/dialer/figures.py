"""The wallboard's part of a running campaign's figures (`campaign.figures`, every second).

What the engine holds live (agents and their time in state, calls, the abandon ledger) is read
each second at the cost of a pass over the campaign's agents. What only the database knows is
read once a minute: the sales of the day in the campaign's records thread, so the read comes
after every record the engine wrote before it (sales the engine hears of in between, a status of
the sale category, are added on top until the next read); the dialable leads left in a thread
of their own (a count over a list's leads, hundreds of thousands of them, must hold back
neither the records nor the logins and reads of the control thread).
"""

from __future__ import annotations

import collections
import datetime
import math
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from dialcrm.campaigns.choices import LeadState, StatusCategory
from dialcrm.campaigns.models import Lead, Status
from dialcrm.dialer.core.states import AgentStatus
from dialcrm.dialer.models import CallAttempt
from dialcrm.dialer.store import at, seconds

if TYPE_CHECKING:
    from dialcrm.dialer.engine import CampaignRunner

HOUR_S = 3600.0
LATEST_FIGURES_S = 30  # how long the latest figures stay in the cache once no engine sends
READ_EVERY_S = 60.0  # clock seconds between reads of the day's sales
COUNT_EVERY_S = 60.0  # real seconds between counts of the dialable leads left
DIALABLE_STATES = (LeadState.NEW, LeadState.RETRY, LeadState.CALLBACK)
WORKING_STATES = frozenset(
    {AgentStatus.READY, AgentStatus.ON_CALL, AgentStatus.WRAP_UP, AgentStatus.RESERVED}
)


@dataclass(frozen=True)
class StoredFigures:
    """The campaign's figures the database holds, as of one read."""

    day_start_s: float  # the installation's midnight of the day read
    sale_codes: frozenset[str]  # upper-case codes of the company's sale statuses
    sales_by_hour: dict[float, int]  # hour start (epoch seconds) -> sales


def latest_figures_key(campaign_id: int) -> str:
    return f"wallboard:figures:{campaign_id}"


def day_start(now_s: float) -> float:
    """Epoch seconds of the installation's midnight before `now_s`."""
    local = timezone.localtime(at(now_s))
    return seconds(local.replace(hour=0, minute=0, second=0, microsecond=0))


def read_stored(campaign_id: int, company_id: int, now_s: float) -> StoredFigures:
    """Sales of the day by hour (of the call's end)."""
    start_s = day_start(now_s)
    sales = (
        CallAttempt.objects.filter(
            campaign_id=campaign_id,
            dialed_at__gte=at(start_s),
            status__category=StatusCategory.SALE,
        )
        .annotate(hour=TruncHour("ended_at", tzinfo=datetime.UTC))
        .values("hour")
        .annotate(sales=Count("pk"))
    )
    codes = Status.objects.filter(company_id=company_id, category=StatusCategory.SALE)
    return StoredFigures(
        day_start_s=start_s,
        sale_codes=frozenset(code.upper() for code in codes.values_list("code", flat=True)),
        sales_by_hour={seconds(row["hour"]): row["sales"] for row in sales if row["hour"]},
    )


def count_dialable(list_ids: list[int]) -> int:
    """The leads of the lists still to call."""
    count: int = Lead.objects.filter(call_list_id__in=list_ids, state__in=DIALABLE_STATES).count()
    return count


def _hour(at_s: float) -> float:
    return math.floor(at_s / HOUR_S) * HOUR_S


@dataclass
class WallboardFigures:
    """A runner's wallboard bookkeeping between reads of the database."""

    stored: StoredFigures | None = None
    reading: Future[StoredFigures] | None = None
    read_at_s: float = -math.inf
    sales_since_read: collections.Counter[float] = field(default_factory=collections.Counter)
    sales_since_request: collections.Counter[float] = field(default_factory=collections.Counter)
    dialable_leads: int | None = None
    counting: Future[int] | None = None
    counted_at: float = -math.inf  # time.monotonic() of the last count asked for

    def note_status(self, status_code: str, now_s: float) -> None:
        """An agent set a status: a sale counts at once (its record is still on its way)."""
        if self.stored is not None and status_code.upper() in self.stored.sale_codes:
            self.sales_since_read[_hour(now_s)] += 1
            self.sales_since_request[_hour(now_s)] += 1

    def _read_when_due(self, runner: CampaignRunner, now_s: float) -> None:
        if self.reading is not None and self.reading.done():
            if self.reading.exception() is None:
                self.stored = self.reading.result()
                # The read saw every sale recorded before it was asked for.
                self.sales_since_read = collections.Counter(self.sales_since_request)
            self.reading = None
        if self.reading is None and now_s - self.read_at_s >= READ_EVERY_S:
            self.read_at_s = now_s
            self.sales_since_request = collections.Counter()
            settings = runner.settings
            self.reading = runner.write(
                read_stored, settings.campaign_id, settings.company_id, now_s
            )
        if self.counting is not None and self.counting.done():
            if self.counting.exception() is None:
                self.dialable_leads = self.counting.result()
            self.counting = None
        if self.counting is None and time.monotonic() - self.counted_at >= COUNT_EVERY_S:
            self.counted_at = time.monotonic()
            self.counting = runner.engine.count(
                count_dialable, list(runner.settings.list_priorities)
            )

    def figures(self, runner: CampaignRunner, now_s: float) -> dict[str, Any]:
        """The wallboard's fields of `campaign.figures` (see docs/realtime.md)."""
        self._read_when_due(runner, now_s)
        agents = [
            {
                "id": agent.agent_id,
                "state": agent.state,
                "since": agent.since_s,
                "reason": agent.pause_reason,
            }
            for agent in runner.agents.values()
        ]
        working = sum(1 for agent in agents if agent["state"] in WORKING_STATES)
        lines = sum(1 for call in runner.calls.values() if call.phase != "ending")
        start_s = day_start(now_s) if self.stored is None else self.stored.day_start_s
        if now_s - start_s >= 24 * HOUR_S:  # past midnight, before the next read
            start_s = day_start(now_s)
        today = runner.ledger.window(now_s, now_s - start_s)
        stored_sales = self.stored.sales_by_hour if self.stored is not None else {}
        hours = []
        hour_s = _hour(start_s)
        while hour_s <= now_s:
            answers = runner.ledger.hour_counts(hour_s)
            sales = stored_sales.get(hour_s, 0) + self.sales_since_read.get(hour_s, 0)
            hours.append(
                {
                    "at": hour_s,
                    "contacts": answers.human_answers - answers.abandoned,
                    "sales": sales,
                }
            )
            hour_s += HOUR_S
        return {
            "agent_states": agents,
            "dial_level": round(lines / working, 2) if working else 0.0,
            "abandon_cap": runner.settings.abandon_cap,
            "abandon_rate_today": round(today.rate, 5),
            "human_answers_today": today.human_answers,
            "abandoned_today": today.abandoned,
            "hours": hours,
            # The leads claimed into the hopper are still to call.
            "dialable_leads": (
                None if self.dialable_leads is None else self.dialable_leads + len(runner.hopper)
            ),
        }
