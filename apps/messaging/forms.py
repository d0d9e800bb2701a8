"""The patient check-in form: pain NRS, PEG (Krebs 2009), sleep quality and work status."""

from typing import Any

from django import forms

from apps.patients.models import WorkStatus

SCALE = [(i, str(i)) for i in range(11)]


class ScaleField(forms.TypedChoiceField):
    """A 0–10 rating shown as eleven labelled radio buttons, with its two anchors."""

    def __init__(self, *, low: str, high: str, **kwargs: Any) -> None:
        kwargs.setdefault(
            "error_messages",
            {
                "required": "Choose a number from 0 to 10.",
                "invalid_choice": "Choose a number from 0 to 10.",
            },
        )
        super().__init__(choices=SCALE, coerce=int, widget=forms.RadioSelect, **kwargs)
        self.low = low
        self.high = high


class CheckInForm(forms.Form):
    pain_now = ScaleField(
        label="What number best describes your back pain right now?",
        low="0 = no pain",
        high="10 = pain as bad as you can imagine",
    )
    # PEG: the three items (Krebs EE et al., J Gen Intern Med 2009), freely usable.
    peg_pain = ScaleField(
        label="What number best describes your pain on average in the past week?",
        low="0 = no pain",
        high="10 = pain as bad as you can imagine",
    )
    peg_enjoyment = ScaleField(
        label=(
            "What number best describes how, during the past week, pain has interfered with "
            "your enjoyment of life?"
        ),
        low="0 = does not interfere",
        high="10 = completely interferes",
    )
    peg_activity = ScaleField(
        label=(
            "What number best describes how, during the past week, pain has interfered with "
            "your general activity?"
        ),
        low="0 = does not interfere",
        high="10 = completely interferes",
    )
    sleep_quality = ScaleField(
        label="How would you rate the quality of your sleep over the past week?",
        low="0 = very poor",
        high="10 = excellent",
    )
    work_status = forms.ChoiceField(
        label="Which best describes your work right now?",
        choices=WorkStatus.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the option that fits best.",
            "invalid_choice": "Choose one of the options listed.",
        },
    )
