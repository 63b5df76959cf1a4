"""Dialing rules: calling hours in local time, DNC, attempts, redial delays, the UK 72 h rule."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from dialcrm.dialer.core.compliance import (
    ComplianceRules,
    DialHistory,
    Refusal,
    is_on_dnc,
    is_within_calling_hours,
    local_time,
    may_dial,
    next_attempt_at,
    refusal_reason,
)
from dialcrm.dialer.core.outcomes import CallOutcome

HOUR = 3600.0


def epoch(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def test_local_time_uses_the_called_party_time_zone() -> None:
    noon_utc = epoch(2026, 1, 15, 12)

    assert local_time(noon_utc, "America/New_York").hour == 7
    assert local_time(noon_utc, "Europe/Bucharest").hour == 14


@pytest.mark.parametrize(
    ("utc_hour", "utc_minute", "allowed"),
    [(12, 59, False), (13, 0, True), (20, 0, True), (1, 59, True), (2, 0, False)],
)
def test_calling_hours_are_eight_to_nine_local(
    utc_hour: int, utc_minute: int, allowed: bool
) -> None:
    # New York in January is UTC-5: 08:00 local = 13:00 UTC, 21:00 local = 02:00 UTC next day.
    day = 16 if utc_hour < 12 else 15
    now_s = epoch(2026, 1, day, utc_hour, utc_minute)

    assert is_within_calling_hours(now_s, "America/New_York") is allowed


def test_calling_hours_follow_daylight_saving_time() -> None:
    # July: New York is UTC-4, so 12:30 UTC is 08:30 local (it would be 07:30 in winter).
    assert is_within_calling_hours(epoch(2026, 7, 15, 12, 30), "America/New_York")
    assert not is_within_calling_hours(epoch(2026, 1, 15, 12, 30), "America/New_York")


def test_a_campaign_may_narrow_its_calling_hours() -> None:
    rules = ComplianceRules(calling_start=time(10), calling_end=time(18))

    assert not is_within_calling_hours(epoch(2026, 1, 15, 8), "Europe/London", rules)
    assert is_within_calling_hours(epoch(2026, 1, 15, 10), "Europe/London", rules)


def test_dnc_accepts_a_set_or_a_callable() -> None:
    blocked = {"+40700000001"}

    assert is_on_dnc("+40700000001", blocked)
    assert not is_on_dnc("+40700000002", blocked)
    assert is_on_dnc("+40700000003", lambda number: number.endswith("3"))


def test_redial_delay_depends_on_the_outcome() -> None:
    rules = ComplianceRules(redial_delay_s={CallOutcome.BUSY: 600.0, CallOutcome.NO_ANSWER: 3600.0})

    assert next_attempt_at(CallOutcome.BUSY, 1000.0, rules) == 1600.0
    assert next_attempt_at(CallOutcome.NO_ANSWER, 1000.0, rules) == 4600.0
    assert next_attempt_at(CallOutcome.CONTACT, 1000.0, rules) is None


def test_an_abandoned_number_waits_72_hours_under_the_uk_rule() -> None:
    uk = ComplianceRules()
    us = ComplianceRules(abandoned_redial_block_s=None)

    assert next_attempt_at(CallOutcome.ABANDONED, 0.0, uk) == 72 * HOUR
    assert next_attempt_at(CallOutcome.ABANDONED, 0.0, us) == 1 * HOUR


NOON_LONDON = epoch(2026, 1, 15, 12)


@pytest.mark.parametrize(
    ("history", "refusal"),
    [
        (DialHistory(), None),
        (DialHistory(attempts_on_number=5, attempts_on_lead=5), Refusal.MAX_ATTEMPTS_NUMBER),
        (DialHistory(attempts_on_number=1, attempts_on_lead=10), Refusal.MAX_ATTEMPTS_LEAD),
        (
            DialHistory(1, 1, CallOutcome.BUSY, NOON_LONDON - 100.0),
            Refusal.REDIAL_TOO_SOON,
        ),
        (DialHistory(1, 1, CallOutcome.BUSY, NOON_LONDON - 1000.0), None),
        (
            DialHistory(
                1, 1, CallOutcome.ABANDONED, NOON_LONDON - 2 * HOUR, NOON_LONDON - 2 * HOUR
            ),
            Refusal.ABANDONED_RECENTLY,
        ),
        (DialHistory(1, 1, CallOutcome.CONTACT, NOON_LONDON - HOUR), Refusal.NO_AUTOMATIC_REDIAL),
    ],
)
def test_refusal_reason_names_the_first_rule_that_forbids_the_dial(
    history: DialHistory, refusal: Refusal | None
) -> None:
    assert refusal_reason("+441234", "Europe/London", history, NOON_LONDON) is refusal


def test_dnc_and_calling_hours_refuse_a_fresh_number() -> None:
    night = epoch(2026, 1, 15, 23)

    assert (
        refusal_reason("+441234", "Europe/London", DialHistory(), night)
        is Refusal.OUTSIDE_CALLING_HOURS
    )
    assert (
        refusal_reason("+441234", "Europe/London", DialHistory(), NOON_LONDON, dnc={"+441234"})
        is Refusal.DO_NOT_CALL
    )
    assert may_dial("+441235", "Europe/London", DialHistory(), NOON_LONDON, dnc={"+441234"})


def test_rules_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="max attempts must be at least 1"):
        ComplianceRules(max_attempts_per_number=0)
    with pytest.raises(ValueError, match="must not be negative"):
        ComplianceRules(redial_delay_s={CallOutcome.BUSY: -1.0})
