"""Writes for reminders, notifications, check-in links and their delivery.

Planning services create ``OutboundMessage`` rows; every row has a unique idempotency key, so
running a planner twice creates nothing the second time. Delivery (``send_message``) claims a
row with a conditional UPDATE (pending -> sending) before it sends anything, so two workers
never send the same row, and records the outcome on the row: the row, not Celery, is the
source of truth for retries (``send_after`` backoff, ``attempts``, ``last_error``).

Messages carry no more patient data than needed: patients get their first name and the
appointment or link; clinicians get the patient's name and a link into the app.
"""

import datetime as dt
import logging
import os
import secrets
import smtplib
import socket
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from apps.assessments.models import OUTCOME_INSTRUMENTS, Assessment, Instrument, Reporter
from apps.clinical.selectors import threshold
from apps.core.choices import SEVERITY_RANK, Discipline, Severity
from apps.core.text import format_date, format_datetime, format_number, plural
from apps.flags.models import Flag, FlagStatus
from apps.flags.rules import headline, rule_label
from apps.patients.models import ACUTE_MAX_DAYS, Channel, Episode, EpisodeStatus, Patient
from apps.patients.selectors import patients_visible_to
from apps.scheduling.models import Appointment, AppointmentStatus
from apps.teams.models import TeamMembership
from apps.worklist.models import OPEN_TASK_STATUSES, Task

from .models import (
    CheckIn,
    MessageChannel,
    MessageKind,
    MessageStatus,
    Notification,
    OutboundMessage,
)
from .quiet_hours import outside_quiet_hours, patient_zone
from .sms import get_sms_backend
from .tokens import make_checkin_token

logger = logging.getLogger(__name__)

MESSAGE_KEY_HEADER = "X-CareTeam-Message-Key"
PATIENT_FACING_KINDS = frozenset({MessageKind.APPOINTMENT_REMINDER, MessageKind.CHECKIN})


class SendResult(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient failure: pending again, after a backoff
    FAILED = "failed"  # permanent failure, or out of attempts
    CANCELLED = "cancelled"  # no longer relevant (appointment cancelled, patient archived…)
    DEFERRED = "deferred"  # inside the patient's quiet hours now: pending until they end
    SKIPPED = "skipped"  # not claimed: another worker has it, or it is not due / not pending


# --- helpers ------------------------------------------------------------------------------------


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _hours(key: str) -> dt.timedelta:
    return dt.timedelta(hours=float(threshold(key)))


def _days(key: str) -> int:
    return int(threshold(key))


def patient_address(patient: Patient) -> tuple[str, str] | None:
    """(channel, address) for the patient's preferred channel; None if they get no reminders."""
    if patient.preferred_channel == Channel.EMAIL and patient.email.strip():
        return MessageChannel.EMAIL, patient.email.strip()
    if patient.preferred_channel == Channel.SMS and patient.phone.strip():
        return MessageChannel.SMS, patient.phone.strip()
    return None


def _existing_keys(keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    if not keys:
        return set()
    return set(
        OutboundMessage.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )


def plural_hours(hours: Any) -> str:
    """ "24 hours", "1 hour", "1.5 hours"."""
    return f"{format_number(hours)} {'hour' if hours == 1 else 'hours'}"


def _local_text(when: dt.datetime, zone: dt.tzinfo) -> str:
    """e.g. "Tue 3 Mar 2026, 09:30 EST" in the given zone (apps.core.text)."""
    return format_datetime(when, zone, weekday=True, zone_name=True)


def enqueue_sends(ids: Sequence[int], *, queue: str | None = None) -> None:
    """After the current transaction commits, enqueue ``messaging.send_message`` for each id.

    A broker outage is logged, never raised: the rows stay pending and the next
    ``dispatch_due`` run enqueues them again.
    """
    if not ids:
        return
    ids = list(ids)

    def publish() -> None:
        from .tasks import send_message_task

        try:
            for pk in ids:
                send_message_task.apply_async(args=[pk], queue=queue)
        except (BrokerError, OSError) as exc:
            logger.warning(
                "Could not enqueue %d message(s), dispatch will retry: %r", len(ids), exc
            )

    transaction.on_commit(publish, robust=True)


def enqueue_send_batches(ids: Sequence[int], *, batch_size: int, queue: str | None = None) -> None:
    """Like ``enqueue_sends``, but one ``messaging.send_batch`` task per ``batch_size`` ids
    (``send_messages``: each row still claimed at most once, one SMTP connection a batch)."""
    if not ids:
        return
    ids = list(ids)
    size = max(1, batch_size)
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]

    def publish() -> None:
        from .tasks import send_batch_task

        try:
            for batch in batches:
                send_batch_task.apply_async(args=[batch], queue=queue)
        except (BrokerError, OSError) as exc:
            logger.warning(
                "Could not enqueue %d message(s), dispatch will retry: %r", len(ids), exc
            )

    transaction.on_commit(publish, robust=True)


# --- appointment reminders ------------------------------------------------------------------------


def _reminder_text(appointment: Appointment, patient: Patient) -> tuple[str, str]:
    zone = patient_zone(patient)
    when = _local_text(appointment.starts_at, zone)
    subject = f"Reminder: your appointment on {format_date(appointment.starts_at.astimezone(zone))}"
    lines = [
        f"Hello {patient.first_name},",
        "",
        f"This is a reminder from your care team: {appointment.get_kind_display()} on {when}.",
    ]
    if appointment.location:
        lines.append(f"Where: {appointment.location}.")
    lines += ["", "If you cannot come, please call the clinic so we can rebook you."]
    return subject, "\n".join(lines)


@transaction.atomic
def plan_appointment_reminders(now: dt.datetime | None = None) -> int:
    """Create the reminder rows due for booked appointments; return how many were created.

    An appointment starting within ``reminder_early_hours`` (48 h) gets the early reminder,
    keyed ``appt:<id>:48h``; within ``reminder_late_hours`` (2 h) the late one, ``appt:<id>:2h``
    (an appointment booked inside the late window gets only the late one). The patient's
    preferred channel decides email or SMS; "none" or no address means no row. ``send_after``
    never falls inside the patient's quiet hours (read in the patient's time zone); if the end
    of the quiet hours is at or after the appointment, the reminder is skipped.
    """
    now = now or timezone.now()
    early, late = _hours("reminder_early_hours"), _hours("reminder_late_hours")
    labels = {
        "early": f"{threshold('reminder_early_hours').normalize():f}h",
        "late": f"{threshold('reminder_late_hours').normalize():f}h",
    }
    appointments = (
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            starts_at__gt=now,
            starts_at__lte=now + early,
            patient__archived_at__isnull=True,
        )
        .exclude(patient__preferred_channel=Channel.NONE)
        .select_related("patient")
        .order_by("starts_at", "pk")
    )
    candidates: list[OutboundMessage] = []
    for appointment in appointments:
        patient = appointment.patient
        address = patient_address(patient)
        if address is None:
            continue
        which, lead = ("late", late) if appointment.starts_at - now <= late else ("early", early)
        send_after = outside_quiet_hours(patient, max(now, appointment.starts_at - lead))
        if send_after >= appointment.starts_at:
            continue  # the quiet hours end too late for this reminder to be useful
        subject, body = _reminder_text(appointment, patient)
        channel, to = address
        candidates.append(
            OutboundMessage(
                idempotency_key=f"appt:{appointment.pk}:{labels[which]}",
                kind=MessageKind.APPOINTMENT_REMINDER,
                channel=channel,
                patient=patient,
                appointment=appointment,
                to_address=to,
                subject=subject,
                body=body,
                send_after=send_after,
            )
        )
    existing = _existing_keys(m.idempotency_key for m in candidates)
    new = [m for m in candidates if m.idempotency_key not in existing]
    OutboundMessage.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


# --- check-ins ------------------------------------------------------------------------------------


def checkin_url(checkin: CheckIn) -> str:
    token = make_checkin_token(checkin_id=checkin.pk, nonce=checkin.nonce)
    return _site_url(reverse("messaging:checkin", args=[token]))


@transaction.atomic
def checkin_create(
    *, patient: Patient, episode: Episode | None, now: dt.datetime | None = None
) -> tuple[CheckIn, str]:
    """A new one-time check-in link, valid for ``checkin_link_days``; returns (checkin, url)."""
    now = now or timezone.now()
    checkin = CheckIn.objects.create(
        patient=patient,
        episode=episode,
        expires_at=now + dt.timedelta(days=_days("checkin_link_days")),
        nonce=secrets.token_urlsafe(24),
    )
    return checkin, checkin_url(checkin)


def checkin_due_date(
    *,
    episode: Episode,
    last_measured: dt.date | None,
    today: dt.date,
    acute_days: int,
    other_days: int,
    lead_days: int,
) -> dt.date | None:
    """The due date of the outcome measure a check-in should be sent for today, or None.

    The interval is ``assessment_interval_acute_days`` (7) while the episode is acute (day < 28),
    else ``assessment_interval_days`` (14), counted from the last outcome measure (NRS, PEG, ODI)
    or, with none, from the onset. The invitation goes out ``lead_days`` before the due date. If
    the patient does not respond, the next due date comes one interval later (a new invitation).
    """
    interval = acute_days if episode.day_on(today) < ACUTE_MAX_DAYS else other_days
    interval = max(interval, 1)
    due = (last_measured or episode.onset) + dt.timedelta(days=interval)
    first_send = due - dt.timedelta(days=lead_days)
    if today < first_send:
        return None
    cycles = (today - first_send).days // interval
    return due + dt.timedelta(days=cycles * interval)


def _checkin_text(patient: Patient, url: str, expires_at: dt.datetime) -> tuple[str, str]:
    expires = format_date(expires_at.astimezone(patient_zone(patient)))
    body = "\n".join(
        [
            f"Hello {patient.first_name},",
            "",
            "Your care team would like to know how your back is doing. It takes about a minute:",
            url,
            "",
            f"This link is personal to you and works once, until {expires}.",
        ]
    )
    return "How is your back? A 1-minute check-in", body


@transaction.atomic
def plan_checkins(now: dt.datetime | None = None) -> int:
    """Create check-in invitations for patients whose outcome measure is (nearly) due.

    One per patient per due date, keyed ``checkin:<patient_id>:<due date>``; by the patient's
    preferred channel, never inside their quiet hours. Returns how many were created.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    acute_days = _days("assessment_interval_acute_days")
    other_days = _days("assessment_interval_days")
    lead_days = int(settings.CHECKIN_LEAD_DAYS)

    latest: dict[int, Episode] = {}
    episodes = (
        Episode.objects.active()
        .exclude(patient__preferred_channel=Channel.NONE)
        .select_related("patient")
        .order_by("patient_id", "-onset", "-pk")
    )
    for episode in episodes:
        latest.setdefault(episode.patient_id, episode)
    last_measured = dict(
        Assessment.objects.filter(patient_id__in=list(latest), instrument__in=OUTCOME_INSTRUMENTS)
        .values("patient_id")
        .annotate(last=Max("taken_at"))
        .values_list("patient_id", "last")
    )
    due: list[tuple[str, Episode]] = []
    for patient_id, episode in latest.items():
        if patient_address(episode.patient) is None:
            continue
        last = last_measured.get(patient_id)
        due_on = checkin_due_date(
            episode=episode,
            last_measured=timezone.localdate(last) if last else None,
            today=today,
            acute_days=acute_days,
            other_days=other_days,
            lead_days=lead_days,
        )
        if due_on is not None:
            due.append((f"checkin:{patient_id}:{due_on.isoformat()}", episode))
    existing = _existing_keys(key for key, _ in due)
    created = 0
    for key, episode in due:
        if key in existing:
            continue
        patient = episode.patient
        channel, to = patient_address(patient) or ("", "")
        try:
            with transaction.atomic():
                checkin, url = checkin_create(patient=patient, episode=episode, now=now)
                subject, body = _checkin_text(patient, url, checkin.expires_at)
                OutboundMessage.objects.create(
                    idempotency_key=key,
                    kind=MessageKind.CHECKIN,
                    channel=channel,
                    patient=patient,
                    checkin=checkin,
                    to_address=to,
                    subject=subject,
                    body=body,
                    send_after=outside_quiet_hours(patient, now),
                )
        except IntegrityError:
            continue  # planned concurrently by another run: its row (and link) stand
        created += 1
    return created


class CheckInOutcome(StrEnum):
    RECORDED = "recorded"
    ALREADY_USED = "already_used"
    EXPIRED = "expired"


def _enqueue_patient_evaluation(patient_id: int) -> None:
    """Ask the rule engine to re-evaluate the patient. Never raises: a broker outage must not
    break the patient's check-in (the periodic evaluation catches up)."""
    try:
        from apps.flags.tasks import evaluate_patient

        evaluate_patient.delay(patient_id)
    except (ImportError, AttributeError):
        logger.warning("Rule engine task apps.flags.tasks.evaluate_patient is not available")
    except (BrokerError, OSError) as exc:
        logger.warning("Could not enqueue rule evaluation for patient %s: %r", patient_id, exc)


@transaction.atomic
def checkin_submit(
    *, checkin: CheckIn, data: dict[str, Any], now: dt.datetime | None = None
) -> CheckInOutcome:
    """Record a patient's check-in answers once.

    ``data`` holds ``pain_now``, ``peg_pain``, ``peg_enjoyment``, ``peg_activity``,
    ``sleep_quality`` (0–10) and ``work_status``. The link is marked used with a conditional
    UPDATE first, so a double submit records nothing twice; the four assessments (NRS, PEG,
    sleep quality, work status) are recorded as patient-reported in the same transaction, and
    the patient's rules are re-evaluated after commit. Bad answers raise ``ValidationError``
    (and nothing is recorded).
    """
    from apps.assessments.services import assessment_record

    now = now or timezone.now()
    marked = CheckIn.objects.filter(pk=checkin.pk, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now, updated_at=now
    )
    if not marked:
        checkin.refresh_from_db(fields=["used_at", "expires_at"])
        return CheckInOutcome.ALREADY_USED if checkin.used_at else CheckInOutcome.EXPIRED
    checkin.used_at = now
    patient = checkin.patient
    episode = checkin.episode
    if episode is not None and (
        episode.status != EpisodeStatus.ACTIVE or episode.archived_at is not None
    ):
        episode = None  # assessment_record then uses the patient's current active episode
    answers = {
        Instrument.NRS: {"value": data["pain_now"]},
        Instrument.PEG: {
            "pain": data["peg_pain"],
            "enjoyment": data["peg_enjoyment"],
            "activity": data["peg_activity"],
        },
        Instrument.SLEEP: {"value": data["sleep_quality"]},
        Instrument.WORK_STATUS: {"status": data["work_status"]},
    }
    for instrument, instrument_answers in answers.items():
        assessment_record(
            actor=None,
            patient=patient,
            instrument=instrument,
            answers=instrument_answers,
            episode=episode,
            taken_at=now,
            reported_by=Reporter.PATIENT,
        )
    patient_id = patient.pk
    transaction.on_commit(lambda: _enqueue_patient_evaluation(patient_id))
    return CheckInOutcome.RECORDED


# --- notices to clinicians ----------------------------------------------------------------------


@dataclass
class Notified:
    notifications: list[Notification] = field(default_factory=list)
    messages: list[OutboundMessage] = field(default_factory=list)


def _notify_clinician(
    *,
    notification_key: str,
    message_key: str,
    recipient: Any,
    kind: str,
    patient: Patient | None,
    title: str,
    body: str,
    url: str,
    subject: str,
    now: dt.datetime,
    result: Notified,
) -> None:
    """In-app notification + email (if the clinician has an address), each exactly once."""
    notification, _ = Notification.objects.get_or_create(
        idempotency_key=notification_key,
        defaults={
            "recipient": recipient,
            "patient": patient,
            "kind": kind,
            "title": title[:200],
            "body": body,
            "url": url[:300],
        },
    )
    result.notifications.append(notification)
    if recipient.email:
        message, _ = OutboundMessage.objects.get_or_create(
            idempotency_key=message_key,
            defaults={
                "kind": kind,
                "channel": MessageChannel.EMAIL,
                "patient": patient,
                "recipient_clinician": recipient,
                "to_address": recipient.email,
                "subject": subject[:200],
                "body": body,
                "send_after": now,
            },
        )
        result.messages.append(message)


@transaction.atomic
def urgent_flag_notify(*, flag: Flag, recipients: Iterable[Any]) -> Notified:
    """Tell each recipient clinician about an urgent flag: in-app now, and by email.

    Keys: notification ``flag:<flag_id>:<recipient_id>``, email
    ``urgentflag:<flag_id>:<recipient_id>``, so calling it again for the same flag notifies
    nobody twice. Clinician emails are not patient-facing: quiet hours do not apply. The emails
    are enqueued for sending as soon as the transaction commits.
    """
    now = timezone.now()
    patient = flag.patient
    link = _site_url(patient.get_absolute_url())
    body = "\n".join(
        [
            f"Urgent flag: {headline(flag.rule_code, flag.summary)}",
            f"Rule: {rule_label(flag.rule_code)}",
            f"Patient: {patient.full_name}",
            f"Open the patient: {link}",
        ]
    )
    result = Notified()
    for recipient in recipients:
        if not recipient.is_active:
            continue
        _notify_clinician(
            notification_key=f"flag:{flag.pk}:{recipient.pk}",
            message_key=f"urgentflag:{flag.pk}:{recipient.pk}",
            recipient=recipient,
            kind=MessageKind.URGENT_FLAG,
            patient=patient,
            title=f"Urgent: {headline(flag.rule_code, flag.summary)}",
            body=body,
            url=patient.get_absolute_url(),
            subject="CareTeam: an urgent flag needs your review",
            now=now,
            result=result,
        )
    enqueue_sends([m.pk for m in result.messages if m.status == MessageStatus.PENDING])
    return result


# --- daily digest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestContent:
    new_flags: list[Flag]
    due_today: list[Task]
    overdue: list[Task]

    def __bool__(self) -> bool:
        return bool(self.new_flags or self.due_today or self.overdue)


def digest_content(clinician: Any, *, today: dt.date, now: dt.datetime) -> DigestContent:
    """What a clinician's digest lists: flags raised in the 24 h before ``now`` on patients they
    can see, and open tasks they own (assigned to them, or unclaimed in their discipline's queue
    in one of their teams) due today or overdue."""
    flags = sorted(
        Flag.objects.filter(
            patient__in=patients_visible_to(clinician),
            raised_at__gt=now - dt.timedelta(hours=24),
            raised_at__lte=now,
        ).select_related("patient"),
        key=lambda f: (-SEVERITY_RANK.get(Severity(f.severity), 0), f.raised_at),
    )
    owned = Q(assignee=clinician)
    if clinician.discipline:
        team_ids = TeamMembership.objects.filter(clinician=clinician).values("team_id")
        owned |= Q(assignee__isnull=True, discipline=clinician.discipline, team_id__in=team_ids)
    tasks = (
        Task.objects.filter(owned, status__in=OPEN_TASK_STATUSES, due_on__lte=today)
        .filter(Q(patient__isnull=True) | Q(patient__archived_at__isnull=True))
        .select_related("patient")
        .order_by("due_on", "pk")
    )
    due_today: list[Task] = []
    overdue: list[Task] = []
    for task in tasks:
        (due_today if task.due_on == today else overdue).append(task)
    return DigestContent(new_flags=flags, due_today=due_today, overdue=overdue)


def _task_line(task: Task, *, with_due: bool) -> str:
    parts = [f"- {task.title}"]
    if with_due:
        parts.append(f"(due {format_date(task.due_on)})")
    if task.patient is not None:
        parts.append(f"— {task.patient.full_name}: {_site_url(task.patient.get_absolute_url())}")
    return " ".join(parts)


def _digest_body(clinician: Any, today: dt.date, content: DigestContent) -> str:
    name = getattr(clinician, "display_name", "") or clinician.get_username()
    lines = [
        f"Good morning {name},",
        "",
        f"Your CareTeam digest for {format_date(today, weekday=True)}.",
    ]
    if content.new_flags:
        lines += ["", f"New flags in the last 24 hours ({len(content.new_flags)}):"]
        lines += [
            f"- [{f.get_severity_display()}] {f.patient.full_name}: "
            f"{headline(f.rule_code, f.summary)} "
            f"{_site_url(f.patient.get_absolute_url())}"
            for f in content.new_flags
        ]
    if content.due_today:
        lines += ["", f"Tasks due today ({len(content.due_today)}):"]
        lines += [_task_line(t, with_due=False) for t in content.due_today]
    if content.overdue:
        lines += ["", f"Overdue tasks ({len(content.overdue)}):"]
        lines += [_task_line(t, with_due=True) for t in content.overdue]
    return "\n".join(lines)


@transaction.atomic
def plan_daily_digests(today: dt.date | None = None, *, now: dt.datetime | None = None) -> int:
    """One email per active clinician with an address and something to report, per day.

    Keyed ``digest:<clinician_id>:<today>``; returns how many were created.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    clinicians = list(
        get_user_model().objects.filter(is_active=True).exclude(email="").order_by("pk")
    )
    keys = {c.pk: f"digest:{c.pk}:{today.isoformat()}" for c in clinicians}
    existing = _existing_keys(keys.values())
    created = 0
    for clinician in clinicians:
        key = keys[clinician.pk]
        if key in existing:
            continue
        content = digest_content(clinician, today=today, now=now)
        if not content:
            continue
        _, was_created = OutboundMessage.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "kind": MessageKind.DIGEST,
                "channel": MessageChannel.EMAIL,
                "recipient_clinician": clinician,
                "to_address": clinician.email,
                "subject": f"CareTeam digest for {format_date(today)}",
                "body": _digest_body(clinician, today, content),
                "send_after": now,
            },
        )
        created += int(was_created)
    return created


# --- escalation -----------------------------------------------------------------------------------


@dataclass
class Escalated:
    flags: list[int] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)


def _memberships_by_team(team_ids: Iterable[int]) -> dict[int, list[TeamMembership]]:
    by_team: dict[int, list[TeamMembership]] = defaultdict(list)
    for membership in TeamMembership.objects.filter(
        team_id__in=set(team_ids), clinician__is_active=True
    ).select_related("clinician"):
        by_team[membership.team_id].append(membership)
    return by_team


def _lead_physicians(memberships: list[TeamMembership]) -> list[Any]:
    """The team's lead; without one, the team's physicians."""
    leads = [m.clinician for m in memberships if m.is_lead]
    return leads or [
        m.clinician for m in memberships if m.clinician.discipline == Discipline.PHYSICIAN
    ]


def _care_coordinators(memberships: list[TeamMembership]) -> list[Any]:
    return [
        m.clinician for m in memberships if m.clinician.discipline == Discipline.CARE_COORDINATOR
    ]


def escalate(now: dt.datetime | None = None) -> Escalated:
    """Escalate what nobody acted on, each item exactly once.

    (a) Urgent flags still open (not acknowledged) ``urgent_ack_hours`` (4) after they were
    raised go to the team's lead physician (``TeamMembership.is_lead``; without a lead, the
    team's physicians): in-app and email, keyed ``escalate-flag:<flag_id>:<recipient_id>``.
    (b) Open tasks ``task_escalation_days`` (3) or more days overdue go to the team's care
    coordinators, keyed ``escalate-task:<task_id>:<recipient_id>``.

    Each item is claimed by a conditional UPDATE (``escalated_at`` null -> now) in its own
    transaction together with its notices, so two workers never escalate the same item twice.
    An item whose team has nobody to escalate to is left for a later run (and logged).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = Escalated()

    flags = list(
        Flag.objects.filter(
            severity=Severity.URGENT,
            status=FlagStatus.OPEN,
            escalated_at__isnull=True,
            raised_at__lte=now - _hours("urgent_ack_hours"),
            patient__archived_at__isnull=True,
        )
        .select_related("patient")
        .order_by("raised_at", "pk")
    )
    tasks = list(
        Task.objects.filter(
            status__in=OPEN_TASK_STATUSES,
            escalated_at__isnull=True,
            due_on__lte=today - dt.timedelta(days=_days("task_escalation_days")),
        )
        .filter(Q(patient__isnull=True) | Q(patient__archived_at__isnull=True))
        .select_related("patient", "assignee")
        .order_by("due_on", "pk")
    )
    members = _memberships_by_team([f.patient.team_id for f in flags] + [t.team_id for t in tasks])
    for flag in flags:
        recipients = _lead_physicians(members.get(flag.patient.team_id, []))
        if not recipients:
            logger.warning(
                "Urgent flag %s: the team has no lead or physician to escalate to", flag.pk
            )
            continue
        if _escalate_flag(flag, recipients, now):
            result.flags.append(flag.pk)
    for task in tasks:
        recipients = _care_coordinators(members.get(task.team_id, []))
        if not recipients:
            logger.warning("Task %s: the team has no care coordinator to escalate to", task.pk)
            continue
        if _escalate_task(task, recipients, now):
            result.tasks.append(task.pk)
    return result


@transaction.atomic
def _escalate_flag(flag: Flag, recipients: list[Any], now: dt.datetime) -> bool:
    claimed = Flag.objects.filter(
        pk=flag.pk, escalated_at__isnull=True, status=FlagStatus.OPEN
    ).update(escalated_at=now, updated_at=now)
    if not claimed:
        return False
    patient = flag.patient
    hours = threshold("urgent_ack_hours").normalize()
    link = _site_url(patient.get_absolute_url())
    body = "\n".join(
        [
            f"An urgent flag has not been acknowledged for {plural_hours(hours)}.",
            f"Flag: {headline(flag.rule_code, flag.summary)}",
            f"Rule: {rule_label(flag.rule_code)}",
            f"Patient: {patient.full_name}",
            f"Raised: {_local_text(flag.raised_at, timezone.get_current_timezone())}",
            f"Open the patient: {link}",
        ]
    )
    result = Notified()
    for recipient in recipients:
        key = f"escalate-flag:{flag.pk}:{recipient.pk}"
        _notify_clinician(
            notification_key=key,
            message_key=key,
            recipient=recipient,
            kind=MessageKind.ESCALATION,
            patient=patient,
            title=f"Escalated: {headline(flag.rule_code, flag.summary)}",
            body=body,
            url=patient.get_absolute_url(),
            subject="CareTeam: an urgent flag has not been acknowledged",
            now=now,
            result=result,
        )
    enqueue_sends([m.pk for m in result.messages if m.status == MessageStatus.PENDING])
    return True


@transaction.atomic
def _escalate_task(task: Task, recipients: list[Any], now: dt.datetime) -> bool:
    claimed = Task.objects.filter(
        pk=task.pk, escalated_at__isnull=True, status__in=OPEN_TASK_STATUSES
    ).update(escalated_at=now, updated_at=now)
    if not claimed:
        return False
    overdue_days = (timezone.localdate(now) - task.due_on).days
    owner = str(task.assignee) if task.assignee else f"{task.get_discipline_display()} queue"
    lines = [
        f"A task is {plural(overdue_days, 'day')} overdue: {task.title}",
        f"Due: {format_date(task.due_on)}",
        f"Owner: {owner}",
        f"Reason: {task.reason}",
    ]
    url = ""
    if task.patient is not None:
        url = task.patient.get_absolute_url()
        lines += [f"Patient: {task.patient.full_name}", f"Open the patient: {_site_url(url)}"]
    body = "\n".join(lines)
    result = Notified()
    for recipient in recipients:
        key = f"escalate-task:{task.pk}:{recipient.pk}"
        _notify_clinician(
            notification_key=key,
            message_key=key,
            recipient=recipient,
            kind=MessageKind.ESCALATION,
            patient=task.patient,
            title=f"Overdue task: {task.title}",
            body=body,
            url=url,
            subject="CareTeam: a task is overdue",
            now=now,
            result=result,
        )
    return True


# --- delivery -------------------------------------------------------------------------------------


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _is_transient(exc: BaseException) -> bool:
    """Worth retrying: network and SMTP trouble. Not: a refused address, bad input."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return any(code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code < 500
    # smtplib.SMTPException, ConnectionError, TimeoutError and socket errors are all OSError.
    return isinstance(exc, smtplib.SMTPException | ConnectionError | TimeoutError | OSError)


def _no_longer_relevant(message: OutboundMessage, now: dt.datetime) -> str:
    """Why the message should not be sent at all any more ("" if it still should)."""
    patient = message.patient
    if patient is not None and patient.archived_at is not None:
        return "The patient has been archived."
    if (
        message.kind in PATIENT_FACING_KINDS
        and patient is not None
        and patient.preferred_channel == Channel.NONE
    ):
        return "The patient no longer wants reminders."
    if message.kind == MessageKind.APPOINTMENT_REMINDER:
        appointment = message.appointment
        if appointment is None:
            return "The appointment no longer exists."
        if appointment.status != AppointmentStatus.BOOKED:
            return f"The appointment is {appointment.get_status_display().lower()}."
        if appointment.starts_at <= now:
            return "The appointment has already started."
    if message.kind == MessageKind.CHECKIN:
        checkin = message.checkin
        if checkin is None or checkin.used_at is not None:
            return "The check-in has already been completed."
        if checkin.is_expired(now):
            return "The check-in link has expired."
    clinician = message.recipient_clinician
    if clinician is not None and not clinician.is_active:
        return "The clinician's account is inactive."
    return ""


def _deliver(message: OutboundMessage, connection: Any = None) -> None:
    """Send one message. ``connection``: an open email connection to reuse (``send_messages``);
    None opens and closes one for this message."""
    if message.channel == MessageChannel.EMAIL:
        safe_key = "".join(c if c.isalnum() or c in "-." else "." for c in message.idempotency_key)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to_address],
            headers={
                MESSAGE_KEY_HEADER: message.idempotency_key,
                # Stable across retries: a mail system can drop the duplicate of an
                # at-least-once resend (see reclaim_stale_claims).
                "Message-ID": f"<{safe_key}.{message.pk}@careteam>",
            },
            connection=connection,
        )
        if connection is not None:
            connection.open()  # no-op while open; reconnects after a failure closed it
        if email.send(fail_silently=False) != 1:
            raise ValueError("The email backend did not accept the message.")
    elif message.channel == MessageChannel.SMS:
        get_sms_backend().send_messages([(message.to_address, message.body)])
    else:
        raise ValueError(f"Unknown channel {message.channel!r}.")


def _record(pk: int, worker: str, **fields: Any) -> int:
    """Write the outcome, only if this worker still holds the claim."""
    return OutboundMessage.objects.filter(
        pk=pk, status=MessageStatus.SENDING, claimed_by=worker
    ).update(updated_at=timezone.now(), **fields)


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff: BASE * 2**(attempts-1) seconds, capped at MESSAGE_RETRY_MAX_SECONDS."""
    base = float(settings.MESSAGE_RETRY_BASE_SECONDS)
    seconds = min(base * 2 ** max(attempts - 1, 0), float(settings.MESSAGE_RETRY_MAX_SECONDS))
    return dt.timedelta(seconds=seconds)


def send_message(
    message_id: int, *, now: dt.datetime | None = None, worker: str | None = None
) -> SendResult:
    """Deliver one outbound message, at most once per claim.

    1. Claim: ``UPDATE … SET status='sending' WHERE id=… AND status='pending' AND
       send_after <= now``. No row updated means another worker has it, it is done, or it is
       not due: return ``SKIPPED`` without sending.
    2. Re-read the row and re-check it: cancelled appointment, archived patient, used check-in
       → ``cancelled``; a patient message inside quiet hours → back to ``pending`` until they
       end (the deferral does not count as an attempt).
    3. Send (email with ``settings.EMAIL_BACKEND``, SMS with ``settings.SMS_BACKEND``), outside
       any database transaction.
    4. Record: ``sent`` with ``sent_at``; a transient error (SMTP, connection, timeout, socket)
       → ``pending`` again after ``retry_delay(attempts)`` while attempts remain, else
       ``failed``; any other error (a bad address) → ``failed`` at once. ``last_error`` keeps
       the error for the admin.
    """
    now = now or timezone.now()
    worker = _claim_token(worker)
    if not _claim([message_id], now, worker):
        return SendResult.SKIPPED
    message = OutboundMessage.objects.select_related(
        "patient", "appointment", "checkin", "recipient_clinician"
    ).get(pk=message_id)
    return _send_claimed(message, now, worker)


def _claim_token(worker: str | None) -> str:
    """This claim's ``claimed_by``: the worker's name and a random suffix."""
    return f"{worker or default_worker_name()}:{uuid.uuid4().hex[:8]}"[:120]


def _claim(ids: Sequence[int], now: dt.datetime, worker: str) -> int:
    """Step 1: the conditional UPDATE (pending and due -> sending), for one row or a batch."""
    return OutboundMessage.objects.filter(
        pk__in=ids, status=MessageStatus.PENDING, send_after__lte=now
    ).update(
        status=MessageStatus.SENDING,
        claimed_at=now,
        claimed_by=worker,
        attempts=F("attempts") + 1,
        updated_at=now,
    )


def _claimed_messages(ids: Sequence[int], worker: str) -> list[OutboundMessage]:
    """Step 2's re-read for a batch: the rows this claim holds, with what the checks need."""
    return list(
        OutboundMessage.objects.select_related(
            "patient", "appointment", "checkin", "recipient_clinician"
        ).filter(pk__in=ids, status=MessageStatus.SENDING, claimed_by=worker)
    )


def _send_claimed(
    message: OutboundMessage, now: dt.datetime, worker: str, connection: Any = None
) -> SendResult:
    """Steps 2-4 for a row this worker has claimed (see ``send_message``)."""
    reason = _no_longer_relevant(message, now)
    if reason:
        _record(
            message.pk,
            worker,
            status=MessageStatus.CANCELLED,
            last_error=reason,
            attempts=F("attempts") - 1,  # nothing was attempted
        )
        return SendResult.CANCELLED
    if message.kind in PATIENT_FACING_KINDS and message.patient is not None:
        later = outside_quiet_hours(message.patient, now)
        if later > now:
            appointment = message.appointment
            if appointment is not None and later >= appointment.starts_at:
                _record(
                    message.pk,
                    worker,
                    status=MessageStatus.CANCELLED,
                    last_error="The patient's quiet hours last until the appointment.",
                    attempts=F("attempts") - 1,
                )
                return SendResult.CANCELLED
            _record(
                message.pk,
                worker,
                status=MessageStatus.PENDING,
                send_after=later,
                attempts=F("attempts") - 1,
            )
            return SendResult.DEFERRED

    try:
        if connection is None:
            _deliver(message)
        else:
            _deliver(message, connection=connection)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row, none lost
        error = repr(exc)[:2000]
        if _is_transient(exc) and message.attempts < message.max_attempts:
            _record(
                message.pk,
                worker,
                status=MessageStatus.PENDING,
                send_after=timezone.now() + retry_delay(message.attempts),
                last_error=error,
            )
            logger.warning(
                "Message %s: attempt %d failed, will retry: %s", message.pk, message.attempts, error
            )
            return SendResult.RETRY
        _record(message.pk, worker, status=MessageStatus.FAILED, last_error=error)
        logger.error(
            "Message %s failed after %d attempt(s): %s", message.pk, message.attempts, error
        )
        return SendResult.FAILED

    # Sent. Record it even if our claim was reclaimed meanwhile (a slow send): the message
    # went out, and a pending copy must not go out again.
    OutboundMessage.objects.filter(
        pk=message.pk, status__in=[MessageStatus.SENDING, MessageStatus.PENDING]
    ).update(
        status=MessageStatus.SENT, sent_at=timezone.now(), last_error="", updated_at=timezone.now()
    )
    return SendResult.SENT


def send_messages(
    message_ids: Iterable[int], *, now: dt.datetime | None = None, worker: str | None = None
) -> dict[str, int]:
    """Deliver a batch of outbound messages over one email connection; count the outcomes.

    The steps of ``send_message``, set-based where that is safe:

    1. One conditional UPDATE claims every row of the batch that is pending and due (each row
       at most once: rows another worker holds, done or not due are ``skipped``), and one
       SELECT re-reads the claimed rows.
    2-4. Then row by row, in the order given: the re-checks (with the time of that row's turn),
       the send, and the outcome recorded at once, so a worker that dies mid-batch can have
       sent at most the row in hand without recording it (as for one message); the rows it
       had not reached stay claimed until ``reclaim_stale_claims`` puts them back.

    Emails share one connection, opened for the first and reused (no connect, EHLO and QUIT
    per message); after a failure it is closed and the next email reconnects.
    """
    ids = list(dict.fromkeys(message_ids))
    worker = _claim_token(worker)
    counts: Counter[str] = Counter()
    if _claim(ids, now or timezone.now(), worker):
        claimed = {m.pk: m for m in _claimed_messages(ids, worker)}
    else:
        claimed = {}
    if len(claimed) < len(ids):
        counts[SendResult.SKIPPED.value] = len(ids) - len(claimed)
    connection = get_connection(fail_silently=False)
    try:
        for pk in ids:
            message = claimed.get(pk)
            if message is None:
                continue
            result = _send_claimed(message, now or timezone.now(), worker, connection)
            counts[result.value] += 1
            if result in (SendResult.RETRY, SendResult.FAILED):
                _close_quietly(connection)
    finally:
        _close_quietly(connection)
    return dict(counts)


def _close_quietly(connection: Any) -> None:
    try:
        connection.close()
    except Exception:  # a connection already broken: nothing to close
        logger.debug("Closing the email connection failed", exc_info=True)


@transaction.atomic
def reclaim_stale_claims(now: dt.datetime | None = None) -> int:
    """Put rows stuck in ``sending`` (their worker was killed mid-batch) back to ``pending``.

    A row is stale when ``claimed_at`` is older than ``MESSAGE_CLAIM_TIMEOUT_SECONDS`` (300 s).
    Rows out of attempts become ``failed`` instead (a message that kills its worker every time
    must not loop forever). Returns how many rows were reclaimed or failed.

    Crash window (at-least-once): if a worker dies after the SMTP server or SMS gateway
    accepted a message but before ``sent`` was written, the row is reclaimed and the message is
    sent a second time. Everywhere else delivery is exactly once. The window is one send long;
    emails carry a stable Message-ID so a mail system can drop the duplicate.
    """
    now = now or timezone.now()
    stale = OutboundMessage.objects.filter(
        status=MessageStatus.SENDING,
        claimed_at__lt=now - dt.timedelta(seconds=settings.MESSAGE_CLAIM_TIMEOUT_SECONDS),
    )
    failed = stale.filter(attempts__gte=F("max_attempts")).update(
        status=MessageStatus.FAILED,
        last_error="The worker stopped while sending, and no attempts remain.",
        updated_at=now,
    )
    reclaimed = stale.update(
        status=MessageStatus.PENDING,
        last_error="Reclaimed: the worker stopped before recording the result.",
        updated_at=now,
    )
    if failed or reclaimed:
        logger.warning("Reclaimed %d stale message claim(s); %d failed", reclaimed, failed)
    return failed + reclaimed


def dispatch_due(
    now: dt.datetime | None = None,
    *,
    queue: str | None = None,
    limit: int | None = None,
    batch_size: int | None = None,
) -> list[int]:
    """Reclaim stale claims, then enqueue ``messaging.send_message`` for up to ``limit`` due
    pending rows (ids only), on commit. ``queue`` overrides the default Celery queue.

    ``batch_size`` > 1 (default: the ``MESSAGE_SEND_BATCH_SIZE`` setting if there is one, else
    1) enqueues one ``messaging.send_batch`` task per that many ids instead: each row still
    claimed at most once, one SMTP connection per batch (about three times the throughput,
    docs/performance.md).

    Enqueuing a row twice (a backlog, two dispatchers) is harmless: only one claim succeeds.
    """
    from .selectors import due_message_ids

    now = now or timezone.now()
    if batch_size is None:
        batch_size = int(getattr(settings, "MESSAGE_SEND_BATCH_SIZE", 1))
    reclaim_stale_claims(now)
    with transaction.atomic():
        ids = due_message_ids(now, limit=limit or settings.MESSAGE_DISPATCH_BATCH_SIZE)
        if batch_size > 1:
            enqueue_send_batches(ids, batch_size=batch_size, queue=queue)
        else:
            enqueue_sends(ids, queue=queue)
    return ids


def send_due_now(
    now: dt.datetime | None = None, *, send: Callable[[int], SendResult] | None = None
) -> dict[str, int]:
    """Send every due message in this process (``manage.py send_reminders``); count outcomes."""
    from .selectors import due_message_ids

    now = now or timezone.now()
    send = send or (lambda pk: send_message(pk, now=now))
    reclaim_stale_claims(now)
    counts: dict[str, int] = {r.value: 0 for r in SendResult}
    for pk in due_message_ids(now, limit=settings.MESSAGE_DISPATCH_BATCH_SIZE):
        counts[send(pk).value] += 1
    return counts


def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    """Mark one of ``actor``'s notifications read (a conditional UPDATE: the first read time
    stays). Someone else's notification is refused."""
    if notification.recipient_id != getattr(actor, "pk", None):
        raise PermissionError("Only the recipient can mark a notification read.")
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )
    notification.refresh_from_db(fields=["read_at", "updated_at"])
    return notification


def notifications_mark_all_read(*, actor: Any) -> int:
    """Mark every unread notification of ``actor`` read; returns how many."""
    now = timezone.now()
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )
