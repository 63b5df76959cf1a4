"""Scheduled reports: when they are due (across daylight-saving changes), saving them from the
screen and the API, and their delivery by e-mail (Django's in-memory outbox, and a real SMTP
server on loopback)."""

from __future__ import annotations

import csv
import datetime
import email
import io
import socket
from email import policy
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from dialcrm.core import worker
from dialcrm.core.choices import Role
from dialcrm.reports.models import ReportDelivery, ReportSchedule
from dialcrm.reports.services import next_run, save_schedule, send_due_reports

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
BUCHAREST = ZoneInfo("Europe/Bucharest")


def utc(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


def schedule_of(**values: Any) -> ReportSchedule:
    values.setdefault("frequency", "daily")
    values.setdefault("time_zone", "Europe/Bucharest")
    return ReportSchedule(**values)


def test_a_daily_report_keeps_its_local_time_across_the_spring_change():
    daily = schedule_of(send_at=datetime.time(7, 0))
    # Saturday 28 March 2026 is still winter time (UTC+2); Sunday the 29th is summer (UTC+3).
    assert next_run(daily, utc(2026, 3, 28, 4, 0)) == utc(2026, 3, 28, 5, 0)
    assert next_run(daily, utc(2026, 3, 28, 5, 0)) == utc(2026, 3, 29, 4, 0)


def test_a_time_the_clocks_skip_is_sent_an_hour_later():
    skipped = schedule_of(send_at=datetime.time(3, 30))  # 03:00 -> 04:00 on 29 March
    moment = next_run(skipped, utc(2026, 3, 28, 12, 0))
    assert moment == utc(2026, 3, 29, 1, 30)
    assert moment.astimezone(BUCHAREST).time() == datetime.time(4, 30)


def test_a_time_that_happens_twice_is_sent_once_the_first_time():
    twice = schedule_of(send_at=datetime.time(3, 30))  # 04:00 -> 03:00 on 25 October
    first = next_run(twice, utc(2026, 10, 24, 12, 0))
    assert first == utc(2026, 10, 25, 0, 30)  # 03:30 summer time
    assert next_run(twice, first) == utc(2026, 10, 26, 1, 30)  # the next day, winter time


def test_a_weekly_report_goes_on_its_day():
    weekly = schedule_of(frequency="weekly", weekday=0, send_at=datetime.time(8, 15))
    # Wednesday 4 March 2026 -> Monday 9 March, 08:15 in Bucharest (UTC+2).
    assert next_run(weekly, utc(2026, 3, 4, 10, 0)) == utc(2026, 3, 9, 6, 15)


def test_saving_from_the_report_screen_keeps_the_filters(org, client_for, call_day):
    client = client_for(org[Role.LOCATION_MANAGER])
    url = f"/reports/schedules/add/?report=campaign-summary&period=yesterday&campaign={call_day.north.pk}"
    page = client.get(url)
    assert page.status_code == 200 and "Campaign summary" in page.content.decode()
    response = client.post(
        url,
        {
            "name": "North every morning",
            "export_format": "pdf",
            "recipients": "boss@example.com, floor@example.com",
            "frequency": "daily",
            "send_at": "07:00",
            "time_zone": "Europe/Bucharest",
        },
    )
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.owner == org[Role.LOCATION_MANAGER]
    assert schedule.filters == {"period": "yesterday", "campaign": call_day.north.pk}
    assert schedule.next_run_at is not None
    assert schedule.next_run_at.astimezone(BUCHAREST).time() == datetime.time(7, 0)


def test_a_schedule_is_refused_with_reasons(org, client_for):
    client = client_for(org[Role.MANAGER])
    response = client.post(
        "/reports/schedules/add/?report=campaign-summary",
        {
            "name": "Weekly",
            "export_format": "csv",
            "recipients": "boss@example.com, not-an-address",
            "frequency": "weekly",
            "send_at": "07:00",
            "time_zone": "Mars/Olympus",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "&#x27;not-an-address&#x27; is not an e-mail address." in html
    assert "Choose the day of the week to send it on." in html
    assert "is not a time zone" in html
    assert not ReportSchedule.objects.exists()


def test_a_schedule_of_a_report_one_may_not_run_is_refused(org, client_for):
    client = client_for(org[Role.AGENT])
    assert client.get("/reports/schedules/add/?report=campaign-summary").status_code == 403
    payload = {
        "name": "Mine",
        "report": "campaign-summary",
        "recipients": "me@example.com",
        "send_at": "07:00",
        "time_zone": "Europe/Bucharest",
    }
    assert (
        client.post("/api/reports/schedules", payload, content_type="application/json").status_code
        == 403
    )
    assert not ReportSchedule.objects.exists()


def make_schedule(user: Any, **values: Any) -> ReportSchedule:
    defaults = {
        "name": "Daily summary",
        "report": "campaign-summary",
        "export_format": "xlsx",
        "recipients": "boss@example.com",
        "frequency": "daily",
        "send_at": datetime.time(7, 0),
        "time_zone": "Europe/Bucharest",
    }
    defaults.update(values)
    filters = {"period": "custom", "start": "2026-03-02", "end": "2026-03-02"}
    return save_schedule(user, ReportSchedule(), defaults, filters)


def test_the_api_schedules_and_lists_deliveries(org, client_for, call_day):
    client = client_for(org[Role.MANAGER])
    created = client.post(
        "/api/reports/schedules",
        {
            "name": "Agents weekly",
            "report": "agent-performance",
            "filters": {"period": "last_7_days", "team": org.north_team.pk},
            "export_format": "csv",
            "recipients": "boss@example.com",
            "frequency": "weekly",
            "weekday": 4,
            "send_at": "18:00",
            "time_zone": "Europe/Bucharest",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["filters"] == {"period": "last_7_days", "team": org.north_team.pk}
    assert datetime.datetime.fromisoformat(body["next_run_at"]).astimezone(BUCHAREST).weekday() == 4
    assert client.get(f"/api/reports/schedules/{body['id']}/deliveries").json()["items"] == []
    # Another company's administrator does not see it; an HR person may not add one.
    other = client_for(org["other_admin"])
    assert other.get(f"/api/reports/schedules/{body['id']}").status_code == 404
    hr = client_for(org[Role.HUMAN_RESOURCES])
    refused = hr.post(
        "/api/reports/schedules",
        {
            "name": "HR",
            "report": "agent-performance",
            "recipients": "hr@example.com",
            "send_at": "07:00",
            "time_zone": "Europe/Bucharest",
        },
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert ReportSchedule.objects.count() == 1
    changed = client.patch(
        f"/api/reports/schedules/{body['id']}",
        {"send_at": "19:30", "frequency": "daily"},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["weekday"] is None and changed.json()["name"] == "Agents weekly"
    next_run_at = datetime.datetime.fromisoformat(changed.json()["next_run_at"])
    assert next_run_at.astimezone(BUCHAREST).time() == datetime.time(19, 30)
    refused = client.patch(
        f"/api/reports/schedules/{body['id']}",
        {"recipients": "nobody"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "recipients"
    stopped = client.delete(f"/api/reports/schedules/{body['id']}")
    assert stopped.status_code == 204
    assert ReportSchedule.objects.get().is_active is False


def test_due_reports_are_e_mailed_with_their_file(org, call_day):
    schedule = make_schedule(org[Role.MANAGER])
    due = schedule.next_run_at
    assert send_due_reports(due - datetime.timedelta(seconds=1)) == 0
    assert send_due_reports(due) == 1
    (message,) = mail.outbox
    assert message.to == ["boss@example.com"]
    assert message.subject == "Daily summary: Campaign summary, 2026-03-02 to 2026-03-02"
    (name, content, content_type) = message.attachments[0]
    assert name == "campaign-summary_20260302-20260302.xlsx"
    assert load_workbook(io.BytesIO(content)).active["A4"].value == "Live test"
    delivery = ReportDelivery.objects.get()
    assert (delivery.state, delivery.due_at, delivery.error) == ("sent", due, "")
    schedule.refresh_from_db()
    assert schedule.next_run_at == due + datetime.timedelta(days=1)
    assert send_due_reports(due + datetime.timedelta(minutes=1)) == 0  # sent once


def test_a_report_its_owner_may_no_longer_run_is_recorded_as_failed(org, call_day):
    owner = org[Role.MANAGER]
    schedule = make_schedule(owner)
    owner.role = Role.AGENT
    owner.save()
    send_due_reports(schedule.next_run_at)
    assert mail.outbox == []
    delivery = ReportDelivery.objects.get()
    assert delivery.state == "failed"
    assert "may not run this report any more" in delivery.error
    schedule.refresh_from_db()
    assert schedule.next_run_at > delivery.due_at  # the schedule goes on


def test_a_mail_server_that_is_down_is_recorded(org, call_day, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    schedule = make_schedule(org[Role.MANAGER])
    send_due_reports(schedule.next_run_at)
    delivery = ReportDelivery.objects.get()
    assert delivery.state == "failed"
    assert delivery.error.startswith("The mail server did not take the message:")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def test_a_real_smtp_server_receives_the_attachment(org, call_day, settings):
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        schedule = make_schedule(
            org[Role.MANAGER], export_format="csv", recipients="a@example.com, b@example.com"
        )
        assert send_due_reports(schedule.next_run_at) == 1
    finally:
        controller.stop()
    (envelope,) = inbox.messages
    assert sorted(envelope.rcpt_tos) == ["a@example.com", "b@example.com"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "campaign-summary_20260302-20260302.csv"
    rows = list(csv.reader(io.StringIO(attachment.get_content().lstrip("\ufeff"))))
    assert rows[1][:2] == ["Live test", "6"]
    assert ReportDelivery.objects.get().state == "sent"


def test_recipients_are_checked(org):
    with pytest.raises(ValidationError) as refused:
        make_schedule(org[Role.MANAGER], recipients="")
    assert "recipients" in refused.value.message_dict


def test_the_worker_sends_scheduled_reports():
    assert "scheduled reports" in [work.name for work in worker.PERIODIC]


def test_the_schedule_screens_list_show_deliveries_and_stop(org, call_day, client_for):
    schedule = make_schedule(org[Role.TEAM_LEADER], report="agent-performance")
    send_due_reports(schedule.next_run_at)
    leader = client_for(org[Role.TEAM_LEADER])
    listed = leader.get("/reports/schedules/").content.decode()
    assert "Daily summary" in listed and "Agent performance" in listed
    page = leader.get(f"/reports/schedules/{schedule.pk}/").content.decode()
    assert "agent-performance_20260302-20260302.xlsx" in page and "Sent" in page
    # Out of another location manager's sight; the agent of the team sees no one else's.
    assert (
        client_for(org["south_manager"]).get(f"/reports/schedules/{schedule.pk}/").status_code
        == 404
    )
    assert client_for(org[Role.AGENT]).get(f"/reports/schedules/{schedule.pk}/").status_code == 404
    stopped = leader.post(f"/reports/schedules/{schedule.pk}/deactivate/")
    assert stopped.status_code == 302
    schedule.refresh_from_db()
    assert schedule.is_active is False
    assert send_due_reports(schedule.next_run_at + datetime.timedelta(days=1)) == 0
