"""Login and logout with Django auth; every dashboard page requires login."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = [
    ("dashboard:caseload", []),
    ("dashboard:patient", [1]),
    ("dashboard:assessment_new", [1, "peg"]),
    ("dashboard:assessment", [1]),
    ("dashboard:medication_new", [1]),
    ("dashboard:medication_edit", [1]),
    ("dashboard:medication_review", [1]),
    ("dashboard:appointment_new", [1]),
    ("dashboard:appointment_status", [1]),
    ("dashboard:note_new", [1]),
    ("dashboard:task_new", [1]),
    ("dashboard:episode_open", [1]),
    ("dashboard:episode_close", [1]),
    ("dashboard:plan_apply", [1]),
    ("dashboard:flag_resolve", [1]),
    ("dashboard:flag_snooze", [1]),
    ("dashboard:worklist", []),
    ("dashboard:inbox", []),
    ("dashboard:conferences", []),
    ("dashboard:conference", [1]),
    ("dashboard:agenda_input", [1]),
    ("dashboard:agenda_decision", [1]),
    ("dashboard:conference_close", [1]),
    ("dashboard:team_overview", []),
    ("dashboard:team", [1]),
]
POST_ONLY = [
    ("dashboard:flag_acknowledge", [1]),
    ("dashboard:task_claim", [1]),
    ("dashboard:task_complete", [1]),
    ("dashboard:notification_read", [1]),
    ("dashboard:notifications_read_all", []),
    ("dashboard:agenda_add_patient", [1]),
]


@pytest.mark.parametrize(("name", "args"), PAGES + POST_ONLY)
def test_every_page_requires_login(client, name, args):
    url = reverse(name, args=args)
    response = client.post(url) if (name, args) in POST_ONLY else client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_the_login_form_is_labelled(client):
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'autocomplete="current-password"' in html
    assert 'class="skip-link" href="#main"' in html


def test_log_in_then_out(client, clinician_on_team):
    response = client.post(
        reverse("login"),
        {"username": "dr_on_team", "password": "correct-horse-battery", "next": "/worklist/"},
    )
    assert response.status_code == 302 and response["Location"] == "/worklist/"
    html = client.get(reverse("dashboard:caseload")).content.decode()
    assert clinician_on_team.display_name in html and 'action="/accounts/logout/"' in html
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard:caseload")).status_code == 302


def test_a_wrong_password_says_so_and_keeps_the_username(client, clinician_on_team):
    response = client.post(reverse("login"), {"username": "dr_on_team", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in html
    assert 'value="dr_on_team"' in html
