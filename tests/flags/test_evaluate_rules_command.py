"""`manage.py evaluate_rules [--patient ID]` runs the engine by hand and prints a summary."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.flags.models import Flag
from apps.medications.services import medication_order_create
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def high_dose_patient(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient, onset=dt.date.today() - dt.timedelta(days=120))
    medication_order_create(
        actor=clinician_on_team,
        episode=episode,
        drug="oxycodone ER",
        drug_class="opioid_long",
        opioid="oxycodone",
        dose=Decimal(20),
        frequency="twice daily",
        daily_dose=Decimal(40),
        start_date=episode.onset,
        last_reviewed_on=dt.date.today(),
        naloxone_offered_on=episode.onset,
    )
    return patient


def test_it_evaluates_every_active_episode_and_prints_counts_per_rule(high_dose_patient):
    out = StringIO()
    call_command("evaluate_rules", stdout=out)
    text = out.getvalue()
    assert "Evaluated 1 active episode(s)." in text
    line = next(row for row in text.splitlines() if row.startswith("opioid_high_dose"))
    assert line.split()[1:] == ["1", "0", "0", "1"]
    assert Flag.objects.filter(patient=high_dose_patient, rule_code="opioid_high_dose").exists()


def test_it_evaluates_one_patient(high_dose_patient):
    out = StringIO()
    call_command("evaluate_rules", "--patient", str(high_dose_patient.pk), stdout=out)
    assert "Evaluated 1 active episode(s)." in out.getvalue()


def test_it_refuses_an_unknown_patient():
    with pytest.raises(CommandError, match="No patient with id 999999"):
        call_command("evaluate_rules", "--patient", "999999")


def test_a_second_run_raises_nothing_new(high_dose_patient):
    call_command("evaluate_rules", stdout=StringIO())
    out = StringIO()
    call_command("evaluate_rules", stdout=out)
    total = next(row for row in out.getvalue().splitlines() if row.startswith("total"))
    raised, updated, resolved = total.split()[1:4]
    assert (raised, updated, resolved) == ("0", "0", "0")
