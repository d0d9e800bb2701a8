"""Writes for case conferences: a team's multidisciplinary review.

``conference_create`` builds the agenda from the team's patients with an open stalled-recovery
flag or an open urgent flag (the rule engine keeps adding newly flagged patients to the next
*planned* conference). Each discipline records its input on an agenda item; decisions become
owned worklist tasks with a due date (``source="conference"``); closing marks the conference held.
"""

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.choices import SEVERITY_RANK, Severity
from apps.core.dates import clinic_today
from apps.core.services import model_create, model_update
from apps.core.text import format_date
from apps.flags.models import OPEN_FLAG_STATUSES, Flag
from apps.flags.rules import RULES, rule_label
from apps.patients.models import Episode
from apps.teams.selectors import is_team_member
from apps.worklist.models import Task, TaskPriority, TaskSource
from apps.worklist.services import task_create

from .models import AgendaItem, AgendaReason, CaseConference, ConferenceInput, ConferenceStatus

STALLED_RULE = "stalled_recovery"


def _require_member(actor: Any, team: Any, field: str = NON_FIELD_ERRORS) -> None:
    if getattr(actor, "is_superuser", False):
        return
    if not getattr(actor, "is_authenticated", False) or not actor.teams.filter(pk=team.pk).exists():
        raise ValidationError({field: "Only a member of the team can do this."})


def _require_planned(conference: CaseConference) -> None:
    """Re-read (and lock) the conference: a page loaded before it was closed cannot add to it."""
    status = (
        CaseConference.objects.select_for_update()
        .filter(pk=conference.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status != ConferenceStatus.PLANNED:
        raise ValidationError(
            {NON_FIELD_ERRORS: "This conference is closed; its record can no longer change."}
        )


def _flag_entry(flag: Flag) -> dict[str, Any]:
    rule = RULES.get(flag.rule_code)
    return {
        "flag_id": flag.pk,
        "rule": flag.rule_code,
        "title": rule.title if rule else rule_label(flag.rule_code),
        "severity": flag.severity,
        "summary": flag.summary,
        "raised_at": flag.raised_at.isoformat(),
        "evidence": flag.evidence,
    }


def agenda_candidates(team: Any) -> list[tuple[int, str, dict[str, Any]]]:
    """(patient id, reason, evidence) for each of the team's patients with an open stalled
    recovery flag or an open urgent flag; urgent patients first."""
    flags = (
        Flag.objects.filter(
            patient__team=team,
            patient__archived_at__isnull=True,
            status__in=OPEN_FLAG_STATUSES,
        )
        .filter(Q(rule_code=STALLED_RULE) | Q(severity=Severity.URGENT))
        .order_by("raised_at", "pk")
    )
    by_patient: dict[int, list[Flag]] = defaultdict(list)
    for flag in flags:
        by_patient[flag.patient_id].append(flag)
    rows = []
    for patient_id, found in by_patient.items():
        found.sort(key=lambda f: -SEVERITY_RANK.get(Severity(f.severity), 0))
        urgent = [f for f in found if f.severity == Severity.URGENT]
        primary = urgent[0] if urgent else found[0]
        reason = AgendaReason.URGENT_FLAG if urgent else AgendaReason.STALLED
        evidence = {
            "flag_id": primary.pk,
            "rule": primary.rule_code,
            "summary": primary.summary,
            "flags": [_flag_entry(f) for f in found],
        }
        rows.append((patient_id, str(reason), evidence))
    rows.sort(key=lambda r: (r[1] != AgendaReason.URGENT_FLAG, r[0]))
    return rows


@transaction.atomic
def conference_create(
    *,
    actor: Any,
    team: Any,
    scheduled_for: dt.datetime,
    chair: Any = None,
    notes: str = "",
) -> CaseConference:
    """Plan a case conference for ``team`` and build its agenda (stalled and urgent patients)."""
    _require_member(actor, team, "team")
    if scheduled_for is None:
        raise ValidationError({"scheduled_for": "Give the date and time of the conference."})
    if timezone.is_naive(scheduled_for):
        scheduled_for = timezone.make_aware(scheduled_for)
    if timezone.localdate(scheduled_for) < clinic_today():
        raise ValidationError({"scheduled_for": "Plan the conference for today or later."})
    if (
        chair is None
        and getattr(actor, "is_authenticated", False)
        and is_team_member(actor, team.pk)
    ):
        chair = actor
    if chair is not None and not is_team_member(chair, team.pk):
        raise ValidationError({"chair": "The chair must be a member of the team."})
    conference = model_create(
        actor=actor,
        instance=CaseConference(team=team, scheduled_for=scheduled_for, chair=chair, notes=notes),
    )
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                conference=conference,
                patient_id=patient_id,
                reason=reason,
                evidence=evidence,
                order=i,
            )
            for i, (patient_id, reason, evidence) in enumerate(agenda_candidates(team), start=1)
        ]
    )
    return conference


@transaction.atomic
def conference_add_patient(
    *, actor: Any, conference: CaseConference, patient: Any, note: str = ""
) -> AgendaItem:
    """Put a patient on the agenda by hand."""
    _require_member(actor, conference.team)
    _require_planned(conference)
    if patient.team_id != conference.team_id:
        raise ValidationError({"patient": "Only the team's own patients go on its agenda."})
    last = conference.agenda_items.order_by("-order").values_list("order", flat=True).first()
    return model_create(
        actor=actor,
        instance=AgendaItem(
            conference=conference,
            patient=patient,
            reason=AgendaReason.MANUAL,
            evidence={"note": note.strip()} if note.strip() else {},
            order=(last or 0) + 1,
        ),
    )


@transaction.atomic
def conference_add_input(
    *, actor: Any, agenda_item: AgendaItem, text: str, discipline: str = ""
) -> ConferenceInput:
    """One discipline's input on an agenda item."""
    conference = agenda_item.conference
    _require_member(actor, conference.team)
    _require_planned(conference)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the input before saving it."})
    discipline = discipline or getattr(actor, "discipline", "")
    if not discipline:
        raise ValidationError({"discipline": "Choose the discipline this input comes from."})
    return model_create(
        actor=actor,
        instance=ConferenceInput(
            agenda_item=agenda_item,
            discipline=discipline,
            author=actor if getattr(actor, "is_authenticated", False) else None,
            text=text,
        ),
    )


@transaction.atomic
def conference_record_decision(
    *,
    actor: Any,
    agenda_item: AgendaItem,
    title: str,
    due_on: dt.date,
    assignee: Any = None,
    discipline: str = "",
    priority: str = TaskPriority.ROUTINE,
    reason: str = "",
) -> Task:
    """A decision becomes an owned task (a person, or a discipline's queue) with a due date."""
    conference = agenda_item.conference
    _require_member(actor, conference.team)
    _require_planned(conference)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Say what was decided."})
    if due_on is None:
        raise ValidationError({"due_on": "Give the date the decision is due."})
    if due_on < clinic_today():
        raise ValidationError({"due_on": "The due date cannot be in the past."})
    if assignee is None and not discipline:
        raise ValidationError(
            {"assignee": "Give the decision an owner: a person or a discipline's queue."}
        )
    patient = agenda_item.patient
    episode = Episode.objects.active().filter(patient_id=patient.pk).order_by("-onset").first()
    task = task_create(
        actor=actor,
        team=conference.team,
        patient=patient,
        episode=episode,
        title=title,
        reason=(reason or "").strip()
        or f"Decision of the case conference of {format_date(conference.scheduled_for)}.",
        due_on=due_on,
        assignee=assignee,
        discipline=discipline or (getattr(assignee, "discipline", "") if assignee else ""),
        priority=priority,
        source=TaskSource.CONFERENCE,
        agenda_item=agenda_item,
    )
    if not agenda_item.discussed:
        model_update(actor=actor, instance=agenda_item, data={"discussed": True}, audit=False)
    return task


@transaction.atomic
def conference_close(
    *, actor: Any, conference: CaseConference, notes: str | None = None
) -> CaseConference:
    """The conference was held: its record (agenda, inputs, decisions) is final."""
    _require_member(actor, conference.team)
    current = CaseConference.objects.select_for_update().get(pk=conference.pk)
    if current.status != ConferenceStatus.PLANNED:
        raise ValidationError({NON_FIELD_ERRORS: "This conference is already closed."})
    data: dict[str, Any] = {"status": ConferenceStatus.HELD}
    if notes is not None:
        data["notes"] = notes.strip()
    model_update(actor=actor, instance=current, data=data)
    conference.status, conference.notes = current.status, current.notes
    return current
