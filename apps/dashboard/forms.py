"""Forms of the clinician pages. They parse and validate input; the services write.

Choice lists of people (team members) are passed in by the view from rows it already read, so
rendering a form never runs a query of its own. ``apply_service_error`` puts a service's
``ValidationError`` next to the right field (or at the top of the form), never a 500.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.assessments.models import Instrument, Reporter
from apps.clinical.scoring import BOTHERSOMENESS_ANSWERS, ODI_SECTIONS
from apps.core.choices import Discipline, Severity
from apps.core.dates import clinic_today
from apps.flags.rules import RULE_CHOICES
from apps.medications.models import OPIOID_CLASSES, DrugClass, OpioidDrug
from apps.patients.models import Phase, WorkStatus
from apps.scheduling.models import AppointmentKind
from apps.scheduling.services import RECORDABLE_STATUSES
from apps.worklist.models import TaskPriority

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def local_now() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


def apply_service_error(
    form: forms.Form, exc: ValidationError, field_map: Mapping[str, str] | None = None
) -> None:
    """Attach a service's ValidationError to the form: a message keyed by a model field goes to
    the form field of that name (or ``field_map[name]``); anything else goes to the top."""
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.error_dict.items():
        target = field_map.get(key, key)
        messages = [m for e in errors for m in e.messages]
        form.add_error(target if target in form.fields else None, messages)


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def person_choices(people: Iterable[Any], blank: str = "—") -> list[tuple[str, str]]:
    out = [("", blank)]
    for p in people:
        label = p.display_name
        if getattr(p, "discipline", ""):
            label += f" ({p.get_discipline_display()})"
        out.append((str(p.pk), label))
    return out


def discipline_choices(blank: str = "—") -> list[tuple[str, str]]:
    return [("", blank), *[(v, str(label)) for v, label in Discipline.choices]]


# --------------------------------------------------------------------------------------------
# Caseload filters (GET; the URL is the state, so a view can be bookmarked)
# --------------------------------------------------------------------------------------------


class CaseloadFilterForm(forms.Form):
    q = forms.CharField(label="Search name or MRN", required=False, max_length=80)
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)
    role = forms.ChoiceField(label="My care-team role", required=False)
    phase = forms.ChoiceField(label="Phase", required=False)
    rule = forms.ChoiceField(label="Flag", required=False)
    severity = forms.ChoiceField(label="Severity", required=False)
    risk = forms.ChoiceField(label="STarT Back risk", required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, teams: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "team").choices = [("", "All my teams"), *[(t.pk, t.name) for t in teams]]
        _choices(self, "role").choices = [
            ("", "Any"),
            ("any", "I am on the care team"),
            *[(v, str(label)) for v, label in Discipline.choices],
        ]
        _choices(self, "phase").choices = [
            ("", "Any"),
            *[(v, str(label)) for v, label in Phase.choices],
            ("none", "No active episode"),
        ]
        _choices(self, "rule").choices = [("", "Any"), *RULE_CHOICES]
        _choices(self, "severity").choices = [
            ("", "Any"),
            *[(v, str(label)) for v, label in reversed(Severity.choices)],
        ]
        _choices(self, "risk").choices = [
            ("", "Any"),
            ("high", "High"),
            ("medium", "Medium"),
            ("low", "Low"),
        ]

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid value (an old bookmark, a typo) is simply ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        out: dict[str, Any] = {}
        for name in self.fields:
            if name in self.errors:
                continue
            value = data.get(name)
            if value not in (None, ""):
                out[name] = value
        return out


# --------------------------------------------------------------------------------------------
# Assessments: one form per instrument. ODI and STarT Back by section/item number with topic
# labels only (their item text is licensed and not shipped); PHQ-9, GAD-7 and PEG text is free.
# --------------------------------------------------------------------------------------------

SCALE_0_10 = [("", "—"), *[(str(i), str(i)) for i in range(11)]]
PHQ_GAD_ANSWERS = [
    ("", "— not answered"),
    ("0", "0 — Not at all"),
    ("1", "1 — Several days"),
    ("2", "2 — More than half the days"),
    ("3", "3 — Nearly every day"),
]
PHQ9_ITEM9_BLANK = "blank"
PHQ9_ITEMS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed; or the opposite — "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead, or of hurting yourself in some way",
)
GAD7_ITEMS = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)
# STarT Back items by topic only (not the licensed wording).
START_BACK_TOPICS = (
    "leg pain",
    "shoulder or neck pain",
    "walking",
    "dressing",
    "safety of physical activity",
    "worrying thoughts",
    "outlook on the pain",
    "enjoyment",
)
BOTHERSOMENESS_LABELS = {
    "not_at_all": "Not at all",
    "slightly": "Slightly",
    "moderately": "Moderately",
    "very_much": "Very much",
    "extremely": "Extremely",
}


def _scale(label: str, *, required: bool = True, help_text: str = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCALE_0_10,
        coerce=int,
        required=required,
        help_text=help_text,
        error_messages={"required": "Choose a number from 0 to 10."},
    )


class AssessmentForm(forms.Form):
    """Common fields; subclasses add the instrument's items and build ``answers()``."""

    instrument: str = ""
    title: str = ""
    short: str = ""
    intro: str = ""
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    taken_at = forms.DateTimeField(
        label="Taken at",
        input_formats=DATETIME_FORMATS,
        widget=datetime_widget(),
        error_messages={"required": "Give the date and time the measure was taken."},
    )
    reported_by = forms.ChoiceField(label="Reported by", choices=Reporter.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"taken_at": local_now(), "reported_by": Reporter.CLINICIAN})
        super().__init__(*args, **kwargs)

    def item_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name not in ("taken_at", "reported_by")]

    def answers(self) -> dict[str, Any]:
        raise NotImplementedError

    def item_field(self, number: int) -> str:
        """The form field of item ``number`` (1-based), where an error about it goes."""
        return f"section_{number}" if self.instrument == Instrument.ODI else f"item_{number}"


class NrsForm(AssessmentForm):
    instrument = Instrument.NRS
    short = "Pain NRS"
    title = "Pain NRS"
    intro = "Pain right now, 0 (no pain) to 10 (pain as bad as you can imagine)."
    value = _scale("Pain score (0–10)")

    def answers(self) -> dict[str, Any]:
        return {"value": self.cleaned_data["value"]}


class SleepForm(AssessmentForm):
    instrument = Instrument.SLEEP
    short = "Sleep"
    title = "Sleep quality"
    intro = "Quality of sleep over the past week, 0 (very poor) to 10 (excellent)."
    value = _scale("Sleep quality (0–10)")

    def answers(self) -> dict[str, Any]:
        return {"value": self.cleaned_data["value"]}


class PegForm(AssessmentForm):
    instrument = Instrument.PEG
    short = "PEG"
    title = "PEG (pain, enjoyment of life, general activity)"
    intro = "Three items about the past week, each 0–10 (Krebs et al., 2009). Score = their mean."
    pain = _scale(
        "1. What number best describes your pain on average in the past week?",
        help_text="0 = no pain, 10 = pain as bad as you can imagine",
    )
    enjoyment = _scale(
        "2. What number best describes how, during the past week, pain has interfered with "
        "your enjoyment of life?",
        help_text="0 = does not interfere, 10 = completely interferes",
    )
    activity = _scale(
        "3. What number best describes how, during the past week, pain has interfered with "
        "your general activity?",
        help_text="0 = does not interfere, 10 = completely interferes",
    )

    def answers(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"pain": d["pain"], "enjoyment": d["enjoyment"], "activity": d["activity"]}


class OdiForm(AssessmentForm):
    instrument = Instrument.ODI
    short = "ODI"
    title = "Oswestry Disability Index (ODI v2.1a)"
    intro = (
        "Enter each section's score, 0–5, from the patient's licensed ODI form. Sections are "
        "labelled by topic only. At least 8 of the 10 sections must be answered."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i, topic in enumerate(ODI_SECTIONS, start=1):
            self.fields[f"section_{i}"] = forms.TypedChoiceField(
                label=f"Section {i} — {topic}",
                choices=[("", "— not answered"), *[(str(s), str(s)) for s in range(6)]],
                coerce=int,
                required=False,
                empty_value=None,
            )

    def answers(self) -> dict[str, Any]:
        return {"sections": [self.cleaned_data.get(f"section_{i}") for i in range(1, 11)]}


class StartBackForm(AssessmentForm):
    instrument = Instrument.START_BACK
    short = "STarT Back"
    title = "STarT Back Screening Tool"
    intro = (
        "Enter the answers from the patient's STarT Back form, by item number (items are "
        "labelled by topic only). Items 1–8: agree or disagree; item 9: bothersomeness."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i, topic in enumerate(START_BACK_TOPICS, start=1):
            self.fields[f"item_{i}"] = forms.ChoiceField(
                label=f"Item {i} — {topic}",
                choices=[("", "—"), ("agree", "Agree"), ("disagree", "Disagree")],
                error_messages={"required": "Choose agree or disagree."},
            )
        self.fields["item_9"] = forms.ChoiceField(
            label="Item 9 — bothersomeness",
            choices=[("", "—"), *[(a, BOTHERSOMENESS_LABELS[a]) for a in BOTHERSOMENESS_ANSWERS]],
            error_messages={"required": "Choose how bothersome the pain has been."},
        )

    def answers(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "agree": [d[f"item_{i}"] == "agree" for i in range(1, 9)],
            "bothersomeness": d["item_9"],
        }


class Phq9Form(AssessmentForm):
    instrument = Instrument.PHQ9
    short = "PHQ-9"
    title = "PHQ-9"
    intro = (
        "Over the last 2 weeks, how often has the patient been bothered by any of the "
        "following problems? At least 7 of the 9 items must be answered (with one or two "
        "missing the total is prorated). Item 9 is never imputed: choose its answer, or that "
        "the patient left it blank."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i, text in enumerate(PHQ9_ITEMS, start=1):
            self.fields[f"item_{i}"] = forms.TypedChoiceField(
                label=f"{i}. {text}",
                choices=PHQ_GAD_ANSWERS,
                coerce=int,
                required=False,
                empty_value=None,
            )
        # Item 9 feeds the safety check and is never imputed: it is never left blank by
        # default. "Left blank by the patient" is a deliberate answer (finding "unknown",
        # which raises the self-harm flag so someone asks).
        self.fields["item_9"] = forms.TypedChoiceField(
            label=f"9. {PHQ9_ITEMS[8]}",
            choices=[
                ("", "— choose"),
                *PHQ_GAD_ANSWERS[1:],
                (PHQ9_ITEM9_BLANK, "Left blank by the patient (self-harm risk unknown)"),
            ],
            coerce=lambda v: None if v == PHQ9_ITEM9_BLANK else int(v),
            error_messages={
                "required": "Choose the answer to item 9, or that the patient left it blank."
            },
        )

    def answers(self) -> dict[str, Any]:
        return {"items": [self.cleaned_data.get(f"item_{i}") for i in range(1, 10)]}


class Gad7Form(AssessmentForm):
    instrument = Instrument.GAD7
    short = "GAD-7"
    title = "GAD-7"
    intro = (
        "Over the last 2 weeks, how often has the patient been bothered by the following problems?"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i, text in enumerate(GAD7_ITEMS, start=1):
            self.fields[f"item_{i}"] = forms.TypedChoiceField(
                label=f"{i}. {text}",
                choices=PHQ_GAD_ANSWERS,
                coerce=int,
                error_messages={"required": "Answer every GAD-7 item."},
            )

    def answers(self) -> dict[str, Any]:
        return {"items": [self.cleaned_data[f"item_{i}"] for i in range(1, 8)]}


class WorkStatusForm(AssessmentForm):
    instrument = Instrument.WORK_STATUS
    short = "Work status"
    title = "Work status"
    intro = "The patient's work status now. It becomes the patient's current work status."
    status = forms.ChoiceField(label="Work status", choices=[("", "—"), *WorkStatus.choices])

    def answers(self) -> dict[str, Any]:
        return {"status": self.cleaned_data["status"]}


ASSESSMENT_FORMS: dict[str, type[AssessmentForm]] = {
    f.instrument: f
    for f in (
        NrsForm,
        PegForm,
        OdiForm,
        StartBackForm,
        Phq9Form,
        Gad7Form,
        SleepForm,
        WorkStatusForm,
    )
}


# --------------------------------------------------------------------------------------------
# Medications
# --------------------------------------------------------------------------------------------


class MedicationForm(forms.Form):
    drug = forms.CharField(label="Drug", max_length=120, help_text="As prescribed, e.g. celecoxib.")
    drug_class = forms.ChoiceField(label="Class", choices=[("", "—"), *DrugClass.choices])
    opioid = forms.ChoiceField(
        label="Opioid substance (for MME)",
        choices=[("", "— not an opioid"), *OpioidDrug.choices],
        required=False,
        help_text="Required for opioids: the daily MME is computed from it (CDC 2022 factors).",
    )
    dose = forms.DecimalField(label="Dose", max_digits=8, decimal_places=2, min_value=0)
    dose_unit = forms.CharField(label="Unit", max_length=16, initial="mg")
    frequency = forms.CharField(label="Frequency", max_length=60, help_text="e.g. twice daily")
    daily_dose = forms.DecimalField(
        label="Total daily dose",
        max_digits=9,
        decimal_places=2,
        min_value=0,
        help_text="mg/day; for a fentanyl patch, mcg/hr.",
    )
    start_date = forms.DateField(label="Start date", widget=DATE_WIDGET)
    stop_date = forms.DateField(label="Stop date", widget=DATE_WIDGET, required=False)
    indication = forms.CharField(label="Indication", max_length=200, required=False)

    FIELDS = (
        "drug",
        "drug_class",
        "opioid",
        "dose",
        "dose_unit",
        "frequency",
        "daily_dose",
        "start_date",
        "stop_date",
        "indication",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"start_date": clinic_today(), "dose_unit": "mg"})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("drug_class") in OPIOID_CLASSES and not data.get("opioid"):
            self.add_error("opioid", "Choose the opioid substance so its MME can be computed.")
        for name in ("dose", "daily_dose"):
            if data.get(name) is not None and data[name] <= 0:
                self.add_error(name, "Enter an amount greater than zero.")
        start, stop = data.get("start_date"), data.get("stop_date")
        if start and stop and stop < start:
            self.add_error("stop_date", "A medication cannot stop before it starts.")
        return data

    def service_fields(self) -> dict[str, Any]:
        out = {name: self.cleaned_data.get(name) for name in self.FIELDS}
        out["opioid"] = out["opioid"] or ""
        out["indication"] = out["indication"] or ""
        return out


class MedicationReviewForm(forms.Form):
    reviewed_on = forms.DateField(label="Reviewed on", widget=DATE_WIDGET)
    naloxone_offered = forms.BooleanField(label="Naloxone offered", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"reviewed_on": clinic_today()})
        super().__init__(*args, **kwargs)

    def clean_reviewed_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["reviewed_on"]
        if day > clinic_today():
            raise ValidationError("A review cannot be dated in the future.")
        return day


# --------------------------------------------------------------------------------------------
# Appointments, notes, tasks, episodes, plans, flags
# --------------------------------------------------------------------------------------------


class AppointmentForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of visit", choices=[("", "—"), *AppointmentKind.choices])
    discipline = forms.ChoiceField(label="Discipline", choices=discipline_choices())
    clinician = forms.ChoiceField(label="With", required=False)
    starts_at = forms.DateTimeField(
        label="Date and time", input_formats=DATETIME_FORMATS, widget=datetime_widget()
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=5, max_value=480, initial=30
    )
    location = forms.CharField(label="Location", max_length=120, required=False)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, members: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {str(m.pk): m for m in members}
        _choices(self, "clinician").choices = person_choices(members, "— anyone in the discipline")

    def clean_starts_at(self) -> dt.datetime:
        when: dt.datetime = self.cleaned_data["starts_at"]
        if when < timezone.now():
            raise ValidationError("A follow-up is booked for a time in the future.")
        return when

    def clinician_obj(self) -> Any:
        return self.members.get(self.cleaned_data.get("clinician") or "")


class AppointmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="What happened",
        choices=[
            (s.value, "Attended" if s.value == "fulfilled" else s.label)
            for s in RECORDABLE_STATUSES
        ],
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Write the note before saving it."},
        strip=True,
    )


class TaskForm(forms.Form):
    title = forms.CharField(label="Task", max_length=200)
    reason = forms.CharField(
        label="Why", widget=forms.Textarea(attrs={"rows": 3}), help_text="Why this task exists."
    )
    assignee = forms.ChoiceField(label="Assign to a person", required=False)
    discipline = forms.ChoiceField(
        label="…or to a discipline's queue", required=False, choices=discipline_choices()
    )
    due_on = forms.DateField(label="Due", widget=DATE_WIDGET)
    priority = forms.ChoiceField(label="Priority", choices=TaskPriority.choices)

    def __init__(self, *args: Any, members: Sequence[Any] = (), **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"due_on": clinic_today() + dt.timedelta(days=7)})
        super().__init__(*args, **kwargs)
        self.members = {str(m.pk): m for m in members}
        _choices(self, "assignee").choices = person_choices(members, "— nobody (queue)")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not data.get("assignee")
            and not data.get("discipline")
            and "assignee" not in self.errors
        ):
            self.add_error("assignee", "Assign the task to a person or to a discipline's queue.")
        return data

    def clean_due_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["due_on"]
        if day < clinic_today():
            raise ValidationError("The due date cannot be in the past.")
        return day

    def assignee_obj(self) -> Any:
        return self.members.get(self.cleaned_data.get("assignee") or "")


class EpisodeOpenForm(forms.Form):
    onset = forms.DateField(label="Onset of the back pain", widget=DATE_WIDGET)
    summary = forms.CharField(
        label="Summary", max_length=200, required=False, help_text="e.g. mechanical low back pain"
    )

    def clean_onset(self) -> dt.date:
        day: dt.date = self.cleaned_data["onset"]
        if day > clinic_today():
            raise ValidationError("Onset cannot be in the future.")
        return day


class EpisodeCloseForm(forms.Form):
    closed_on = forms.DateField(label="Closed on", widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"closed_on": clinic_today()})
        super().__init__(*args, **kwargs)


class PlanApplyForm(forms.Form):
    template = forms.ChoiceField(label="Plan template")
    start_date = forms.DateField(label="Plan starts on", widget=DATE_WIDGET)

    def __init__(self, *args: Any, templates: Sequence[Any] = (), **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"start_date": clinic_today()})
        super().__init__(*args, **kwargs)
        self.templates = {str(t.pk): t for t in templates}
        _choices(self, "template").choices = [("", "—"), *[(str(t.pk), t.name) for t in templates]]

    def template_obj(self) -> Any:
        return self.templates.get(self.cleaned_data.get("template") or "")


class FlagResolveForm(forms.Form):
    note = forms.CharField(
        label="Resolution note",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say how the flag was resolved."},
    )


class FlagSnoozeForm(forms.Form):
    snoozed_until = forms.DateField(label="Snooze until", widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"snoozed_until": clinic_today() + dt.timedelta(days=7)})
        super().__init__(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# Case conferences
# --------------------------------------------------------------------------------------------


class ConferenceForm(forms.Form):
    team = forms.ChoiceField(label="Team")
    scheduled_for = forms.DateTimeField(
        label="Date and time", input_formats=DATETIME_FORMATS, widget=datetime_widget()
    )

    def __init__(self, *args: Any, teams: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {str(t.pk): t for t in teams}
        _choices(self, "team").choices = [(str(t.pk), t.name) for t in teams]

    def team_obj(self) -> Any:
        return self.teams.get(self.cleaned_data.get("team") or "")


class ConferenceInputForm(forms.Form):
    discipline = forms.ChoiceField(label="Discipline", choices=discipline_choices())
    text = forms.CharField(
        label="Input",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the input before saving it."},
    )


class DecisionForm(forms.Form):
    title = forms.CharField(label="Decision", max_length=200)
    assignee = forms.ChoiceField(label="Owner", required=False)
    discipline = forms.ChoiceField(
        label="…or discipline queue", required=False, choices=discipline_choices()
    )
    due_on = forms.DateField(label="Due", widget=DATE_WIDGET)
    priority = forms.ChoiceField(label="Priority", choices=TaskPriority.choices)

    def __init__(self, *args: Any, members: Sequence[Any] = (), **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"due_on": clinic_today() + dt.timedelta(days=7)})
        super().__init__(*args, **kwargs)
        self.members = {str(m.pk): m for m in members}
        _choices(self, "assignee").choices = person_choices(members, "— nobody (queue)")

    def assignee_obj(self) -> Any:
        return self.members.get(self.cleaned_data.get("assignee") or "")


class ConferenceCloseForm(forms.Form):
    notes = forms.CharField(
        label="Conference notes", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
