"""The rule engine: evaluate every rule on a batch of episodes, then reconcile the flags.

Set-based: a batch is read in a fixed number of queries (snapshot.py), the rules run in memory,
and the changes are written in bulk — new flags with their tasks, changed evidence, flags that
cleared (auto-resolved with the evidence of clearing). At most one open flag per patient and rule
(database constraint); a flag a clinician resolved is not raised again while its fingerprint
(what triggered it) stays the same.
"""

import datetime as dt
import gc
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.context import current_request_meta
from apps.audit.models import AuditEvent
from apps.clinical.selectors import thresholds
from apps.conferences.models import AgendaItem, CaseConference
from apps.core.choices import Severity
from apps.patients.models import Episode, Patient
from apps.worklist.models import OPEN_TASK_STATUSES, PRIORITY_RANK, Task, TaskSource, TaskStatus

from .models import OPEN_FLAG_STATUSES, Flag, FlagStatus
from .routing import TeamDirectory, task_fields
from .rules import RULES, Outcome, Rule, headline, rule_label, without_title
from .snapshot import EpisodeSnapshot, among, fast_timestamptz, load_snapshots

logger = logging.getLogger(__name__)

# Evidence keys that change every day without the finding changing.
VOLATILE_EVIDENCE = ("checked_on", "episode_day", "days_since", "days_off")
AGENDA_RULES = ("stalled_recovery",)


@dataclass
class EvaluationSummary:
    episodes: int = 0
    raised: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    resolved: Counter[str] = field(default_factory=Counter)
    open: Counter[str] = field(default_factory=Counter)

    def merge(self, other: "EvaluationSummary") -> None:
        self.episodes += other.episodes
        for name in ("raised", "updated", "resolved", "open"):
            getattr(self, name).update(getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        return {
            "episodes": self.episodes,
            "raised": dict(self.raised),
            "updated": dict(self.updated),
            "resolved": dict(self.resolved),
            "open": dict(self.open),
        }


def active_episode_ids() -> list[int]:
    return list(Episode.objects.active().order_by("id").values_list("id", flat=True))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is built and evaluated.

    A batch allocates ~100,000 small objects that all stay alive until it is done (the
    snapshots); every 700 allocations the collector would scan them again, a third of the
    engine's time. Reference counting still frees everything as usual; the collector runs
    again as soon as the batch is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate_episodes(
    episode_ids: Iterable[int],
    *,
    now: dt.datetime | None = None,
    rules: Sequence[Rule] | None = None,
) -> EvaluationSummary:
    with _gc_paused():
        # The batch's objects are freed (by reference counting) when _evaluate returns,
        # before the collector runs again: it never has to scan them.
        return _evaluate(episode_ids, now=now or timezone.now(), rules=rules)


def _evaluate(
    episode_ids: Iterable[int], *, now: dt.datetime, rules: Sequence[Rule] | None
) -> EvaluationSummary:
    today = timezone.localdate(now)
    t = thresholds()
    rules = list(rules or RULES.values())
    snaps = load_snapshots(episode_ids, today)
    summary = EvaluationSummary(episodes=len(snaps))
    if not snaps:
        return summary
    outcomes: dict[tuple[int, str], tuple[EpisodeSnapshot, Outcome]] = {}
    for snap in snaps:
        for rule in rules:
            outcomes[(snap.patient_id, rule.code)] = (snap, rule.evaluate(snap, t))
    with transaction.atomic():
        _reconcile(snaps, outcomes, [r.code for r in rules], now, today, summary)
    return summary


def _comparable(evidence: Any) -> Any:
    """Evidence without the counters that change every day (at any depth)."""
    if isinstance(evidence, dict):
        return {k: _comparable(v) for k, v in evidence.items() if k not in VOLATILE_EVIDENCE}
    if isinstance(evidence, list):
        return [_comparable(v) for v in evidence]
    return evidence


def _reconcile(
    snaps: list[EpisodeSnapshot],
    outcomes: dict[tuple[int, str], tuple[EpisodeSnapshot, Outcome]],
    codes: list[str],
    now: dt.datetime,
    today: dt.date,
    summary: EvaluationSummary,
) -> None:
    patient_ids = [s.patient_id for s in snaps]
    with fast_timestamptz():
        existing = {
            (f.patient_id, f.rule_code): f
            for f in Flag.objects.filter(
                among("patient_id", patient_ids),
                rule_code__in=codes,
                status__in=OPEN_FLAG_STATUSES,
            )
        }
    # Fingerprints of flags clinicians resolved: not raised again while unchanged.
    dismissed = set(
        Flag.objects.filter(
            among("patient_id", patient_ids),
            rule_code__in=codes,
            status=FlagStatus.RESOLVED,
            auto_resolved=False,
        ).values_list("patient_id", "rule_code", "fingerprint")
    )
    directory = TeamDirectory({s.team_id for s in snaps})
    meta = current_request_meta()
    audits: list[AuditEvent] = []

    def audit(flag: Flag, action: str, fields: list[str]) -> None:
        audits.append(
            AuditEvent(
                at=now,
                patient_id=flag.patient_id,
                action=action,
                object_type="flags.flag",
                object_id=str(flag.pk),
                changed_fields=sorted(fields),
                surface=meta.surface,
            )
        )

    to_create: list[tuple[EpisodeSnapshot, Outcome, str]] = []
    to_update: list[Flag] = []
    to_refresh: list[Flag] = []
    to_resolve: list[Flag] = []
    newly_urgent: list[tuple[Flag, EpisodeSnapshot, Outcome]] = []
    agenda: list[tuple[EpisodeSnapshot, Flag]] = []

    for (patient_id, code), (snap, outcome) in outcomes.items():
        flag = existing.get((patient_id, code))
        if outcome.fired:
            if flag is None:
                if (patient_id, code, outcome.fingerprint) not in dismissed:
                    to_create.append((snap, outcome, code))
                continue
            changed = []
            if flag.severity != outcome.severity:
                if outcome.severity == Severity.URGENT:
                    newly_urgent.append((flag, snap, outcome))
                flag.severity = outcome.severity
                changed.append("severity")
            if flag.fingerprint != outcome.fingerprint:
                flag.fingerprint = outcome.fingerprint
                changed.append("fingerprint")
            same_evidence = flag.evidence == outcome.evidence  # the usual case: skip the walk
            if not same_evidence and _comparable(flag.evidence) != _comparable(outcome.evidence):
                changed.append("evidence")
                if flag.summary != outcome.summary[:255]:
                    changed.append("summary")
            # Day counters ("day 9", "for 15 days") refresh with the finding's text; when only
            # they moved, the row is refreshed but nothing is counted or audited as a change.
            refreshed = flag.summary != outcome.summary[:255] or not same_evidence
            flag.summary = outcome.summary[:255]
            flag.evidence = outcome.evidence
            if (
                flag.status == FlagStatus.SNOOZED
                and flag.snoozed_until
                and flag.snoozed_until <= today
            ):
                flag.status = FlagStatus.OPEN
                flag.snoozed_until = None
                changed += ["status", "snoozed_until"]
            if changed:
                flag.last_evaluated_at = now
                to_update.append(flag)
                audit(flag, "update", changed)
                summary.updated[code] += 1
            elif refreshed:
                to_refresh.append(flag)
            if code in AGENDA_RULES or flag.severity == Severity.URGENT:
                agenda.append((snap, flag))
        elif flag is not None and RULES[code].auto_resolve:
            flag.status = FlagStatus.RESOLVED
            flag.resolved_at = now
            flag.auto_resolved = True
            flag.resolution_evidence = outcome.evidence
            flag.resolution_note = "Resolved automatically: " + str(
                outcome.evidence.get("reason", "")
            )
            flag.last_evaluated_at = now
            to_resolve.append(flag)
            audit(flag, "update", ["status", "resolved_at", "resolution_evidence"])
            summary.resolved[code] += 1

    created = _create_flags(to_create, now)
    for flag, (snap, outcome, code) in created:
        summary.raised[code] += 1
        audit(flag, "create", [])
        if outcome.severity == Severity.URGENT:
            newly_urgent.append((flag, snap, outcome))
        if code in AGENDA_RULES or outcome.severity == Severity.URGENT:
            agenda.append((snap, flag))

    if to_update:
        Flag.objects.bulk_update(
            to_update,
            [
                "severity",
                "summary",
                "fingerprint",
                "evidence",
                "status",
                "snoozed_until",
                "last_evaluated_at",
            ],
            batch_size=500,
        )
    if to_refresh:
        Flag.objects.bulk_update(to_refresh, ["summary", "evidence"], batch_size=500)
    if to_resolve:
        Flag.objects.bulk_update(
            to_resolve,
            [
                "status",
                "resolved_at",
                "auto_resolved",
                "resolution_evidence",
                "resolution_note",
                "last_evaluated_at",
            ],
            batch_size=500,
        )
        done = Task.objects.filter(flag__in=to_resolve, status__in=OPEN_TASK_STATUSES)
        for task_id, task_patient_id in done.values_list("id", "patient_id"):
            audits.append(_task_audit(task_id, task_patient_id, "update", now, meta.surface))
        done.update(status=TaskStatus.COMPLETED, completed_at=now, updated_at=now)
    for task in _create_tasks(created, directory, today):
        audits.append(_task_audit(task.pk, task.patient_id, "create", now, meta.surface))
    if to_update:
        _sync_task_priority([f for f in to_update], today)
    if agenda:
        _add_to_agendas(agenda, now)
    if audits:
        AuditEvent.objects.bulk_create(audits, batch_size=1000)
    if newly_urgent:
        _notify_urgent(newly_urgent, directory)
    for flag in existing.values():
        if flag.status != FlagStatus.RESOLVED:
            summary.open[flag.rule_code] += 1
    for _flag, (_, _, code) in created:
        summary.open[code] += 1


def _task_audit(
    task_id: int, patient_id: int | None, action: str, now: dt.datetime, surface: str
) -> AuditEvent:
    return AuditEvent(
        at=now,
        patient_id=patient_id,
        action=action,
        object_type="worklist.task",
        object_id=str(task_id),
        changed_fields=["completed_at", "status"] if action == "update" else [],
        surface=surface,
    )


def _new_flag(snap: EpisodeSnapshot, outcome: Outcome, code: str, now: dt.datetime) -> Flag:
    return Flag(
        patient_id=snap.patient_id,
        episode_id=snap.episode_id,
        rule_code=code,
        severity=outcome.severity,
        status=FlagStatus.OPEN,
        summary=outcome.summary[:255],
        evidence=outcome.evidence,
        fingerprint=outcome.fingerprint[:200],
        raised_at=now,
        last_evaluated_at=now,
    )


def _create_flags(
    items: list[tuple[EpisodeSnapshot, Outcome, str]], now: dt.datetime
) -> list[tuple[Flag, tuple[EpisodeSnapshot, Outcome, str]]]:
    if not items:
        return []
    flags = [_new_flag(snap, outcome, code, now) for snap, outcome, code in items]
    try:
        with transaction.atomic():
            Flag.objects.bulk_create(flags, batch_size=500)
        return list(zip(flags, items, strict=True))
    except IntegrityError:
        # Another worker raised some of these flags at the same moment: create one by one and
        # keep the one that is already there.
        logger.info("Concurrent flag creation; retrying %d flags one by one", len(items))
    created = []
    for item in items:
        flag = _new_flag(*item, now)
        try:
            with transaction.atomic():
                flag.save()
        except IntegrityError:
            continue
        created.append((flag, item))
    return created


def _create_tasks(
    created: list[tuple[Flag, tuple[EpisodeSnapshot, Outcome, str]]],
    directory: TeamDirectory,
    today: dt.date,
) -> list[Task]:
    tasks = []
    for flag, (snap, outcome, code) in created:
        route = outcome.route
        assert route is not None, f"Rule {code} fired without a route"
        tasks.append(
            Task(
                team_id=snap.team_id,
                patient_id=snap.patient_id,
                episode_id=snap.episode_id,
                title=headline(code, outcome.summary)[:200],
                reason=(
                    f"Raised by the {rule_label(code)} rule: {without_title(code, outcome.summary)}"
                ),
                assignee_id=directory.assignee(snap.team_id, route),
                discipline=directory.queue(snap.team_id, route),
                source=TaskSource.FLAG,
                flag=flag,
                **task_fields(outcome.severity, today, route.priority),
            )
        )
    if tasks:
        Task.objects.bulk_create(tasks, batch_size=500)
    return tasks


def _sync_task_priority(flags: list[Flag], today: dt.date) -> None:
    """A flag whose severity changed moves its open task's priority and due date with it."""
    by_flag = {f.pk: f for f in flags}
    tasks = list(Task.objects.filter(flag_id__in=list(by_flag), status__in=OPEN_TASK_STATUSES))
    changed = []
    for task in tasks:
        flag = by_flag[task.flag_id]  # type: ignore[index]
        fields = task_fields(flag.severity, today)
        if flag.severity == Severity.URGENT and PRIORITY_RANK.get(
            task.priority, 0
        ) > PRIORITY_RANK.get(fields["priority"], 0):
            continue  # an "Immediately" task (Route.priority) is never downgraded to "Urgent"
        if task.priority != fields["priority"]:
            task.priority = fields["priority"]
            task.due_on = min(task.due_on, fields["due_on"])
            changed.append(task)
    if changed:
        Task.objects.bulk_update(changed, ["priority", "due_on"])


def _add_to_agendas(items: list[tuple[EpisodeSnapshot, Flag]], now: dt.datetime) -> None:
    """Stalled or urgent patients go on their team's next planned case conference."""
    next_conference: dict[int, int] = {}
    for conf_id, team_id in (
        CaseConference.objects.filter(
            team_id__in={s.team_id for s, _ in items}, status="planned", scheduled_for__gte=now
        )
        .order_by("-scheduled_for")
        .values_list("id", "team_id")
    ):
        next_conference[team_id] = conf_id  # ordered latest first: the earliest wins
    rows = []
    for snap, flag in items:
        next_id = next_conference.get(snap.team_id)
        if next_id is None:
            continue
        rows.append(
            AgendaItem(
                conference_id=next_id,
                patient_id=snap.patient_id,
                reason="stalled_recovery"
                if flag.rule_code == "stalled_recovery"
                else "urgent_flag",
                evidence={"flag_id": flag.pk, "rule": flag.rule_code, "summary": flag.summary},
            )
        )
    if rows:
        AgendaItem.objects.bulk_create(rows, ignore_conflicts=True)


def _notify_urgent(
    items: list[tuple[Flag, EpisodeSnapshot, Outcome]], directory: TeamDirectory
) -> None:
    from apps.accounts.models import Clinician

    try:
        from apps.messaging.services import urgent_flag_notify
    except ImportError:  # pragma: no cover - messaging not installed
        logger.warning("messaging.urgent_flag_notify unavailable; urgent flags not announced")
        return
    wanted = {f.pk: directory.recipients(s.team_id, o.route) for f, s, o in items if o.route}
    people = Clinician.objects.in_bulk({cid for ids in wanted.values() for cid in ids})
    # The notices name the patient: read the patients in one query, not one per flag.
    patients = Patient.objects.in_bulk({f.patient_id for f, _, _ in items if f.pk in wanted})
    for flag, _, _ in items:
        recipients = [people[cid] for cid in wanted.get(flag.pk, []) if cid in people]
        if recipients:
            if flag.patient_id in patients:
                flag.patient = patients[flag.patient_id]
            urgent_flag_notify(flag=flag, recipients=recipients)


def evaluate_patient(patient_id: int, *, now: dt.datetime | None = None) -> EvaluationSummary:
    """Re-evaluate one patient (after a relevant change); clears flags if no episode is active."""
    ids = list(Episode.objects.active().filter(patient_id=patient_id).values_list("id", flat=True))
    if not ids:
        summary = EvaluationSummary()
        resolve_flags_without_active_episode(patient_ids=[patient_id], now=now)
        return summary
    return evaluate_episodes(ids, now=now)


def evaluate_all_now(*, batch_size: int = 500, now: dt.datetime | None = None) -> EvaluationSummary:
    """Evaluate every active episode in this process (the command and the benchmark use it)."""
    total = EvaluationSummary()
    resolve_flags_without_active_episode(now=now)
    ids = active_episode_ids()
    for start in range(0, len(ids), batch_size):
        total.merge(evaluate_episodes(ids[start : start + batch_size], now=now))
    return total


def resolve_flags_without_active_episode(
    *, patient_ids: list[int] | None = None, now: dt.datetime | None = None
) -> int:
    """Open flags of patients with no active episode (closed, archived) resolve themselves."""
    now = now or timezone.now()
    flags = Flag.objects.filter(status__in=OPEN_FLAG_STATUSES).exclude(
        patient__episodes__in=Episode.objects.active()
    )
    if patient_ids is not None:
        flags = flags.filter(patient_id__in=patient_ids)
    stale = list(flags)
    if not stale:
        return 0
    meta = current_request_meta()
    with transaction.atomic():
        for flag in stale:
            flag.status = FlagStatus.RESOLVED
            flag.resolved_at = now
            flag.auto_resolved = True
            flag.resolution_evidence = {"reason": "The patient has no active episode."}
            flag.resolution_note = "Resolved automatically: the episode was closed or archived."
        Flag.objects.bulk_update(
            stale,
            ["status", "resolved_at", "auto_resolved", "resolution_evidence", "resolution_note"],
        )
        Task.objects.filter(flag__in=stale, status__in=OPEN_TASK_STATUSES).update(
            status=TaskStatus.CANCELLED, updated_at=now
        )
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    at=now,
                    patient_id=f.patient_id,
                    action="update",
                    object_type="flags.flag",
                    object_id=str(f.pk),
                    changed_fields=["resolution_evidence", "resolved_at", "status"],
                    surface=meta.surface,
                )
                for f in stale
            ]
        )
    return len(stale)
