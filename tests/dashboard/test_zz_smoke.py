import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

def test_pages_render(logged_in, full_patient, off_team_patient, notification_for, clinician_on_team):
    notification_for(clinician_on_team, full_patient)
    for url in [reverse("dashboard:caseload"), reverse("dashboard:patient", args=[full_patient.pk]), reverse("dashboard:worklist"), reverse("dashboard:inbox"), reverse("dashboard:conferences"), reverse("dashboard:team_overview")]:
        r = logged_in.get(url, follow=True)
        assert r.status_code == 200, (url, r.content[:3000])
        open("/tmp/page_%s.html" % url.strip("/").replace("/","_"), "wb").write(r.content)
