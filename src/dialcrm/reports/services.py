"""Actions of the reports app: running a report for a person, scheduling it, and sending the
scheduled reports that are due (the background worker calls `send_due_reports`)."""

from __future__ import annotations

import copy
import datetime
import logging
import smtplib
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from dialcrm.core import worker
from dialcrm.core.services import save_object
from dialcrm.reports.choices import DeliveryState, Frequency, Period
from dialcrm.reports.definitions import REPORTS, Report, ReportResult
from dialcrm.reports.exports import export
from dialcrm.reports.forms import ReportFilterForm, errors_of
from dialcrm.reports.models import ReportDelivery, ReportSchedule

logger = logging.getLogger(__name__)

UTC = datetime.UTC
# A worker taking a due report holds it this long; if it dies the report is taken again after.
DELIVERY_LEASE = datetime.timedelta(minutes=10)
DELIVERIES_PER_ROUND = 10


def report_for(user: Any, slug: str) -> Report:
    """The report of this slug, if this person may run it: 404 unknown, 403 not theirs."""
    report = REPORTS.get(slug)
    if report is None:
        raise Http404(_("There is no report '%(slug)s'.") % {"slug": slug})
    if not report.may_run(user):
        raise PermissionDenied(
            _("You may not see the report '%(title)s'.") % {"title": report.title}
        )
    return report


def filter_form(user: Any, report: Report, data: Any) -> ReportFilterForm:
    """The filter form on these values, the period defaulting to the last 7 days."""
    values = data.copy() if isinstance(data, QueryDict) else QueryDict(mutable=True)
    if not isinstance(data, QueryDict):
        for name, value in (data or {}).items():
            if value is not None:
                values[name] = str(value)
    if not values.get("period"):
        values["period"] = Period.LAST_7_DAYS
    return ReportFilterForm(values, user=user, filter_names=report.filters)


def run_report(
    user: Any, slug: str, data: Any, *, today: datetime.date | None = None
) -> ReportResult:
    """Run a report for a person on filters given as text (a query string, stored filters)."""
    report = report_for(user, slug)
    form = filter_form(user, report, data)
    if not form.is_valid():
        raise errors_of(form)
    return report.run(user, form.report_filters(today))


def stored_filters(form: ReportFilterForm) -> dict[str, Any]:
    """A valid filter form's values as a schedule keeps them (ids and ISO dates)."""
    values: dict[str, Any] = {"period": form.cleaned_data["period"]}
    if values["period"] == Period.CUSTOM:
        values["start"] = form.cleaned_data["start"].isoformat()
        values["end"] = form.cleaned_data["end"].isoformat()
    for name in ("campaign", "call_list", "location", "team", "agent"):
        if form.cleaned_data.get(name) is not None:
            values[name] = form.cleaned_data[name].pk
    return values


# --- schedules --------------------------------------------------------------------------------


def local_moment(day: datetime.date, at: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    """The moment a wall-clock time happens on a day. A time the clocks skip (spring forward)
    happens as late as it was skipped (02:30 on a 02:00->03:00 night is 03:30); a time that
    happens twice (autumn) is taken the first time."""
    naive = datetime.datetime.combine(day, at)
    moment = naive.replace(tzinfo=zone, fold=0)
    return moment.astimezone(UTC)


def next_run(schedule: ReportSchedule, after: datetime.datetime) -> datetime.datetime:
    """The first moment after `after` the schedule is due, in UTC."""
    zone = ZoneInfo(schedule.time_zone)
    first_day = after.astimezone(zone).date() - datetime.timedelta(days=1)
    for offset in range(9):
        day = first_day + datetime.timedelta(days=offset)
        if schedule.frequency == Frequency.WEEKLY and day.weekday() != schedule.weekday:
            continue
        moment = local_moment(day, schedule.send_at, zone)
        if moment > after:
            return moment
    raise ValueError("no delivery within a week")  # (a weekly schedule always has one)


def save_schedule(
    user: Any, schedule: ReportSchedule, values: dict[str, Any], filters: Any = None
) -> ReportSchedule:
    """Create or change a scheduled report. A new one belongs to the person creating it and
    takes its report and filters from `values["report"]` and `filters` (checked as the reader
    sees them); the next delivery is worked out from the schedule."""
    values = dict(values)
    if schedule.pk is None:
        report = report_for(user, values.get("report", ""))
        form = filter_form(user, report, filters)
        if not form.is_valid():
            raise ValidationError(
                {"filters": [f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]}
            )
        values["filters"] = stored_filters(form)
        values["owner"] = user
    else:
        values.pop("report", None)
    probe = copy.copy(schedule)
    for name, value in values.items():
        setattr(probe, name, value)
    probe.full_clean()  # every reason at once, before the next delivery can be worked out
    values["next_run_at"] = next_run(probe, timezone.now()) if probe.is_active else None
    return save_object(user, schedule, values)


# --- delivery ---------------------------------------------------------------------------------


def _message(schedule: ReportSchedule, result: ReportResult) -> EmailMessage:
    owner = schedule.owner
    with override(owner.language):
        file = export(result, schedule.export_format)
        filters = result.filters
        subject = _("%(name)s: %(report)s, %(start)s to %(end)s") % {
            "name": schedule.name,
            "report": result.report.title,
            "start": filters.start.isoformat(),
            "end": filters.end.isoformat(),
        }
        body = _(
            "The report '%(report)s' for %(start)s to %(end)s (%(zone)s) is attached "
            "(%(rows)s rows).\n\nScheduled by %(owner)s in dialcrm; they can change or stop it "
            "under Reports > Scheduled reports."
        ) % {
            "report": result.report.title,
            "start": filters.start.isoformat(),
            "end": filters.end.isoformat(),
            "zone": filters.time_zone,
            "rows": len(result.rows),
            "owner": owner,
        }
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=schedule.recipient_list,
    )
    message.attach(file.name, file.content, file.content_type)
    return message


def deliver(schedule: ReportSchedule, due_at: datetime.datetime) -> ReportDelivery:
    """Run the report as its owner sees it now and e-mail it; record how it went, and when the
    schedule is due next. A failure (the owner may no longer see it, the mail server refused)
    is recorded with its reason; the schedule goes on."""
    owner = schedule.owner
    file_name, size, error = "", 0, ""
    try:
        if not owner.is_active:
            raise PermissionDenied(_("%(owner)s is no longer active.") % {"owner": owner})
        with override(owner.language):
            result = run_report(owner, schedule.report, schedule.filters)
        message = _message(schedule, result)
        file_name = message.attachments[0][0]
        size = len(message.attachments[0][1])
        message.send(fail_silently=False)
    except (PermissionDenied, Http404) as refusal:
        error = _("The owner may not run this report any more: %(reason)s") % {
            "reason": str(refusal)
        }
    except ValidationError as invalid:
        error = _("The report's filters are no longer valid: %(reason)s") % {
            "reason": " ".join(invalid.messages)
        }
    except (smtplib.SMTPException, OSError) as failure:
        error = _("The mail server did not take the message: %(reason)s") % {
            "reason": str(failure) or failure.__class__.__name__
        }
    now = timezone.now()
    with transaction.atomic():
        delivery = ReportDelivery.objects.create(
            schedule=schedule,
            due_at=due_at,
            finished_at=now,
            state=DeliveryState.FAILED if error else DeliveryState.SENT,
            recipients=", ".join(schedule.recipient_list),
            file_name=file_name,
            size=size,
            error=error,
        )
        ReportSchedule.objects.filter(pk=schedule.pk, is_active=True).update(
            next_run_at=next_run(schedule, max(now, due_at))
        )
    if error:
        logger.warning("scheduled report %s not sent: %s", schedule.pk, error)
    return delivery


def send_due_reports(now: datetime.datetime) -> int:
    """Send the scheduled reports due at `now` (the worker's periodic work); how many."""
    due = worker.claim_due(
        ReportSchedule.objects.filter(is_active=True).select_related("owner"),
        "next_run_at",
        now,
        lease=DELIVERY_LEASE,
        limit=DELIVERIES_PER_ROUND,
    )
    for schedule in due:
        deliver(schedule, schedule.next_run_at)
    return len(due)
