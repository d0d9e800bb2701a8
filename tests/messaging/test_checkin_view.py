"""The patient check-in page: a signed one-time link, no login, four patient-reported measures."""

import datetime as dt
import re
import sys
import types

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from apps.assessments.models import Assessment
from apps.audit.models import AuditEvent
from apps.messaging.models import CheckIn
from apps.messaging.services import checkin_create
from apps.messaging.tokens import SALT, make_checkin_token
from tests.factories import EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db

VALID = {
    "pain_now": "6",
    "peg_pain": "7",
    "peg_enjoyment": "6",
    "peg_activity": "8",
    "sleep_quality": "3",
    "work_status": "off_work",
}


@pytest.fixture
def episode(team):
    patient = PatientFactory(team=team, first_name="Maria", last_name="Quintero", mrn="MRN777")
    return EpisodeFactory(patient=patient)


@pytest.fixture
def link(clock, episode):
    checkin, url = checkin_create(patient=episode.patient, episode=episode, now=timezone.now())
    return checkin, url.removeprefix("http://127.0.0.1:8000")


@pytest.fixture
def evaluations(monkeypatch):
    """Calls to the rule engine's ``evaluate_patient.delay`` (a stand-in, no broker)."""
    calls: list[int] = []
    module = types.ModuleType("apps.flags.tasks")
    module.evaluate_patient = types.SimpleNamespace(delay=calls.append)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "apps.flags.tasks", module)
    return calls


def test_the_page_needs_no_login_and_shows_only_the_first_name(client, link):
    _, path = link
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Maria" in html
    for private in ("Quintero", "MRN777", "patient.example"):
        assert private not in html
    assert '<meta name="viewport"' in html
    assert "css/checkin.css" in html
    assert "style=" not in html and "<style" not in html
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_the_referrer_stays_on_this_site_so_the_browser_sends_a_real_origin(client, link):
    """With "no-referrer" Chromium posts ``Origin: null`` and CSRF refuses every check-in."""
    _, path = link
    response = client.get(path)
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in response.content.decode()


def test_every_field_is_labelled(client, link):
    html = client.get(link[1]).content.decode()
    inputs = re.findall(r'<input type="radio"[^>]*id="([^"]+)"', html)
    labels = set(re.findall(r'<label for="([^"]+)"', html))
    assert len(inputs) == 5 * 11 + 6  # five 0-10 scales and six work statuses
    assert set(inputs) <= labels
    assert html.count("<legend>") == 6


def test_a_valid_submission_records_four_patient_reported_assessments(
    client, link, episode, evaluations, django_capture_on_commit_callbacks
):
    checkin, path = link
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, VALID)

    assert response.status_code == 200
    assert "Thank you, Maria" in response.content.decode()
    rows = {a.instrument: a for a in Assessment.objects.filter(patient=episode.patient)}
    assert set(rows) == {"nrs", "peg", "sleep", "work_status"}
    assert all(a.reported_by == "patient" and a.episode == episode for a in rows.values())
    assert rows["nrs"].score == 6
    assert rows["peg"].answers == {"pain": 7, "enjoyment": 6, "activity": 8}
    assert rows["peg"].score == 7
    assert rows["sleep"].score == 3
    assert rows["work_status"].answers == {"status": "off_work"}
    checkin.refresh_from_db()
    assert checkin.used_at == timezone.now()
    assert evaluations == [episode.patient.pk]
    events = AuditEvent.objects.filter(patient=episode.patient)
    assert events.count() >= 4
    assert set(events.values_list("surface", flat=True)) == {"checkin"}


def test_it_works_once_a_second_use_records_nothing(client, link, episode, evaluations):
    _, path = link
    client.post(path, VALID)
    again = client.post(path, {**VALID, "pain_now": "2"})
    assert again.status_code == 410
    assert "This check-in has already been completed" in again.content.decode()
    assert Assessment.objects.filter(patient=episode.patient).count() == 4
    assert client.get(path).status_code == 410


def test_a_double_submit_racing_past_the_page_check_records_nothing_twice(
    link, episode, evaluations
):
    from apps.messaging.services import CheckInOutcome, checkin_submit

    checkin, _ = link
    data = {k: (v if k == "work_status" else int(v)) for k, v in VALID.items()}
    stale = CheckIn.objects.get(pk=checkin.pk)  # both requests loaded it before either saved
    assert checkin_submit(checkin=checkin, data=data) == CheckInOutcome.RECORDED
    assert checkin_submit(checkin=stale, data=data) == CheckInOutcome.ALREADY_USED
    assert Assessment.objects.filter(patient=episode.patient).count() == 4


def test_an_expired_link_shows_a_410_page(client, clock, link):
    checkin, path = link
    clock.move_to(checkin.expires_at + dt.timedelta(seconds=1))
    response = client.get(path)
    assert response.status_code == 410
    assert "This link has expired — your care team will send a new one" in response.content.decode()
    assert client.post(path, VALID).status_code == 410
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    "make_path",
    [
        lambda c, p: p[:-3] + ("x" if p[-3] != "x" else "y") + p[-2:],  # one character changed
        lambda c, p: reverse(
            "messaging:checkin",
            args=[signing.dumps({"c": c.pk + 1, "n": c.nonce}, salt=SALT)[:-1] + "A"],
        ),
        lambda c, p: reverse(
            "messaging:checkin", args=[make_checkin_token(checkin_id=c.pk, nonce="guess")]
        ),
        lambda c, p: reverse(
            "messaging:checkin", args=[signing.dumps({"c": c.pk, "n": c.nonce})]
        ),  # no salt
        lambda c, p: "/checkin/not-a-token/",
    ],
)
def test_a_tampered_token_shows_a_clear_400_page(client, link, make_path):
    checkin, path = link
    response = client.get(make_path(checkin, path))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This link is not valid" in html
    assert "Maria" not in html


def test_bad_answers_show_errors_next_to_the_fields_and_keep_the_values(client, link, episode):
    checkin, path = link
    response = client.post(
        path, {**VALID, "pain_now": "11", "peg_pain": "", "sleep_quality": "abc"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("pain_now", "peg_pain", "sleep_quality"):
        assert f'id="id_{field}-error"' in html
    assert "Choose a number from 0 to 10." in html
    assert 'value="off_work"' in html
    assert re.search(r'<input type="radio" name="work_status" value="off_work"[^>]*checked', html)
    assert re.search(r'<input type="radio" name="peg_enjoyment" value="6"[^>]*checked', html)
    assert not Assessment.objects.exists()
    checkin.refresh_from_db()
    assert checkin.used_at is None


def test_the_page_does_not_fail_when_the_broker_is_down(
    client, link, episode, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    try:
        from apps.flags.tasks import evaluate_patient  # the rule engine's task, when present
    except ImportError:
        module = types.ModuleType("apps.flags.tasks")
        module.evaluate_patient = types.SimpleNamespace(delay=broker_down)  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "apps.flags.tasks", module)
    else:
        monkeypatch.setattr(evaluate_patient, "delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link[1], VALID)
    assert response.status_code == 200
    assert Assessment.objects.filter(patient=episode.patient).count() == 4
    assert "Could not enqueue rule evaluation" in caplog.text


def test_a_link_for_an_archived_patient_no_longer_works(client, link, episode):
    episode.patient.archived_at = timezone.now()
    episode.patient.save()
    assert client.get(link[1]).status_code == 410
    assert client.post(link[1], VALID).status_code == 410
    assert not Assessment.objects.exists()
