"""The inbox of in-app notifications: the unread count in the header (one cheap query), mark
read (POST), only one's own notifications."""

import pytest
from django.urls import reverse

from apps.messaging.models import Notification

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:inbox")


def test_login_required(client):
    assert client.get(URL).status_code == 302


def test_unread_count_in_the_header_on_every_page(
    logged_in, clinician_on_team, notification_for, patient
):
    notification_for(clinician_on_team, patient)
    notification_for(clinician_on_team, patient, title="Second")
    notification_for(clinician_on_team, patient, read=True, title="Old")
    html = logged_in.get(reverse("dashboard:caseload")).content.decode()
    assert '<span class="count">2<span class="visually-hidden"> unread</span></span>' in html


def test_the_count_is_one_query(rf, clinician_on_team, notification_for, django_assert_num_queries):
    from apps.dashboard.context_processors import notifications

    notification_for(clinician_on_team)
    request = rf.get("/")
    request.user = clinician_on_team
    context = notifications(request)
    with django_assert_num_queries(1):
        assert str(context["unread_notifications"]) == "1"
        assert bool(context["unread_notifications"])


def test_list_and_mark_read(logged_in, clinician_on_team, notification_for, patient):
    n = notification_for(clinician_on_team, patient, title="Urgent: red flag")
    html = logged_in.get(URL).content.decode()
    assert "Urgent: red flag" in html and f'href="{patient.get_absolute_url()}"' in html
    assert "Unread: " in html

    response = logged_in.post(reverse("dashboard:notification_read", args=[n.pk]))
    assert response.status_code == 302
    n.refresh_from_db()
    first = n.read_at
    assert first is not None
    logged_in.post(reverse("dashboard:notification_read", args=[n.pk]))
    n.refresh_from_db()
    assert n.read_at == first  # the first read time is kept


def test_mark_all_read(logged_in, clinician_on_team, notification_for):
    notification_for(clinician_on_team)
    notification_for(clinician_on_team)
    logged_in.post(reverse("dashboard:notifications_read_all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_mark_read_is_post_only_and_only_for_the_recipient(
    client, clinician_on_team, clinician_off_team, notification_for
):
    n = notification_for(clinician_off_team)
    client.force_login(clinician_on_team)
    assert client.get(reverse("dashboard:notification_read", args=[n.pk])).status_code == 405
    assert client.post(reverse("dashboard:notification_read", args=[n.pk])).status_code == 404
    assert "Urgent: red flag" not in client.get(URL).content.decode()
    n.refresh_from_db()
    assert n.read_at is None


def test_a_notification_url_that_is_not_local_is_not_a_link(logged_in, clinician_on_team):
    Notification.objects.create(
        recipient=clinician_on_team,
        kind="digest",
        title="Odd",
        url="https://evil.example/",
        idempotency_key="odd",
    )
    html = logged_in.get(URL).content.decode()
    assert "evil.example" not in html
