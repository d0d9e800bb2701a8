"""The text a clinician reads never looks like system output: on every main page of the demo
caseload (and in the digest, notices and notifications) no ISO date, no rule code, no title
doubled ("Red flag: Red flag: …"), no score with more than one decimal, no "1 reads",
"over 0" or "the latest 0 views", no bare "None". One date and number format (apps.core.text)
everywhere.
"""

import datetime as dt
import re
from html.parser import HTMLParser
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Clinician
from apps.assessments.models import Assessment
from apps.conferences.services import conference_create
from apps.core.dates import clinic_today
from apps.flags.engine import evaluate_all_now
from apps.flags.models import OPEN_FLAG_STATUSES, Flag
from apps.flags.rules import RULES
from apps.messaging.models import Notification, OutboundMessage
from apps.messaging.services import escalate, plan_daily_digests, urgent_flag_notify
from apps.patients.selectors import patients_visible_to

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
DOUBLED = re.compile(r"(\b[\w ]{3,40}): \1:")
LONG_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d{2,}(?![\d.])")
BAD_PLURAL = re.compile(
    r"\b1 (reads|readings|days|hours|patients|measures|tasks|flags|events|views|problems|"
    r"notifications|weeks)\b|\bover 0\b|\b0 urgent flags? acknowledged|\blatest 0 \w+"
)
# Python's None, or a bare "None" where a sentence belongs ("No open flags", "None booked").
# Beside its label ("Open flags: None") the word is English.
BARE_NONE = re.compile(r"(?<!Open flags )\bNone\b(?! booked| recorded| yet| on file)")
# Rule codes that are not plain words ("worsening" is one, and its title says "Worsening").
CODES = sorted(code for code in RULES if "_" in code)
CODE = re.compile(r"\b(" + "|".join(CODES) + r")\b")


class _Text(HTMLParser):
    """The text of a page as people (and screen readers) get it: no tags, no attributes, no
    script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def problems(text: str) -> list[str]:
    found = []
    for name, pattern in (
        ("ISO date", ISO_DATE),
        ("rule code", CODE),
        ("doubled title", DOUBLED),
        ("more than one decimal", LONG_DECIMAL),
        ("unnatural count", BAD_PLURAL),
        ("bare None", BARE_NONE),
    ):
        for m in pattern.finditer(text):
            found.append(f"{name}: …{text[max(0, m.start() - 60) : m.end() + 40]}…")
    return found


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The 60-patient demo, seeded once for the module and rolled back at the end."""
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        mock.patch("apps.core.enqueue.send_task_now"),
    ):
        call_command(
            "seed_demo", "--force", "--patients", "60", stdout=StringIO(), stderr=StringIO()
        )
        evaluate_all_now()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def physician(seeded):
    return Clinician.objects.get(username="physician")


@pytest.fixture
def reader(client, physician):
    client.force_login(physician)
    client.get("/")  # the first request of a session writes its timestamp

    def read(url: str) -> str:
        response = client.get(url)
        assert response.status_code == 200, url
        return visible_text(response.content.decode())

    return read


def test_the_caseload_pages_read_like_text(reader):
    first = reader(reverse("dashboard:caseload"))
    assert "patients" in first
    texts = {"caseload": first}
    for page in (2, 3):
        texts[f"caseload page {page}"] = reader(f"{reverse('dashboard:caseload')}?page={page}")
    texts["caseload by pain"] = reader(f"{reverse('dashboard:caseload')}?sort=-pain")
    assert {url: problems(t) for url, t in texts.items() if problems(t)} == {}


def test_every_patient_page_and_its_flag_forms_read_like_text(reader, physician):
    patients = list(patients_visible_to(physician).order_by("mrn"))
    assert len(patients) >= 15
    found = {}
    for patient in patients:
        url = reverse("dashboard:patient", args=[patient.pk])
        if bad := problems(reader(url)):
            found[url] = bad
    flags = Flag.objects.filter(patient__in=patients, status__in=OPEN_FLAG_STATUSES)
    assert flags.exists()
    for flag in flags[:10]:
        url = reverse("dashboard:flag_resolve", args=[flag.pk])
        if bad := problems(reader(url)):
            found[url] = bad
    assert found == {}


def test_assessment_details_read_like_text(reader, physician):
    found = {}
    for instrument in ("nrs", "peg", "odi", "phq9", "gad7", "sleep", "start_back"):
        for a in Assessment.objects.filter(
            patient__in=patients_visible_to(physician), instrument=instrument
        ).order_by("-taken_at")[:3]:
            url = reverse("dashboard:assessment", args=[a.pk])
            if bad := problems(reader(url)):
                found[url] = bad
    assert found == {}


def test_worklist_inbox_team_and_conference_pages_read_like_text(reader, physician):
    urgent = Flag.objects.filter(severity="urgent", status__in=OPEN_FLAG_STATUSES)
    for flag in urgent:
        urgent_flag_notify(flag=flag, recipients=[physician])
    escalate(timezone.now() + dt.timedelta(days=2))  # unacknowledged urgent flags, late tasks
    team = physician.teams.order_by("pk").first()
    conference = conference_create(
        actor=physician, team=team, scheduled_for=timezone.now() + dt.timedelta(hours=3)
    )
    assert conference.agenda_items.exists()
    texts = {
        url: reader(url)
        for url in (
            reverse("dashboard:worklist"),
            reverse("dashboard:inbox"),
            reverse("dashboard:team", args=[team.pk]),
            reverse("dashboard:conferences"),
            reverse("dashboard:conference", args=[conference.pk]),
        )
    }
    assert "Urgent" in texts[reverse("dashboard:inbox")]
    assert {url: problems(t) for url, t in texts.items() if problems(t)} == {}


def test_digest_notices_and_notifications_read_like_text(physician):
    urgent = Flag.objects.filter(severity="urgent", status__in=OPEN_FLAG_STATUSES)
    for flag in urgent:
        urgent_flag_notify(flag=flag, recipients=[physician])
    escalate(timezone.now() + dt.timedelta(days=2))
    assert plan_daily_digests(clinic_today()) > 0
    texts = {
        f"message {m.pk} ({m.kind})": f"{m.subject}\n{m.body}"
        for m in OutboundMessage.objects.all()
    }
    texts |= {
        f"notification {n.pk}": f"{n.title}\n{getattr(n, 'body', '')}"
        for n in Notification.objects.all()
    }
    assert any("digest" in key for key in texts)
    assert {key: problems(t) for key, t in texts.items() if problems(t)} == {}
