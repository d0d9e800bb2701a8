from django.urls import path

from .views import actions, conferences, pages, records

app_name = "dashboard"

urlpatterns = [
    path("", pages.caseload, name="caseload"),
    # Patient page and the forms that write to the record.
    path("patients/<int:patient_id>/", pages.patient_detail, name="patient"),
    path(
        "patients/<int:patient_id>/assessments/new/<slug:instrument>/",
        records.assessment_new,
        name="assessment_new",
    ),
    path(
        "patients/<int:patient_id>/medications/new/", records.medication_new, name="medication_new"
    ),
    path(
        "patients/<int:patient_id>/appointments/new/",
        records.appointment_new,
        name="appointment_new",
    ),
    path("patients/<int:patient_id>/notes/new/", records.note_new, name="note_new"),
    path("patients/<int:patient_id>/tasks/new/", records.task_new, name="task_new"),
    path("patients/<int:patient_id>/episodes/new/", records.episode_open_view, name="episode_open"),
    path("assessments/<int:assessment_id>/", pages.assessment_detail, name="assessment"),
    path("medications/<int:order_id>/edit/", records.medication_edit, name="medication_edit"),
    path(
        "medications/<int:order_id>/review/",
        records.medication_review_view,
        name="medication_review",
    ),
    path(
        "appointments/<int:appointment_id>/outcome/",
        records.appointment_status,
        name="appointment_status",
    ),
    path("episodes/<int:episode_id>/close/", records.episode_close_view, name="episode_close"),
    path("episodes/<int:episode_id>/plan/", records.plan_apply, name="plan_apply"),
    # Flags and tasks.
    path(
        "flags/<int:flag_id>/acknowledge/", actions.flag_acknowledge_view, name="flag_acknowledge"
    ),
    path("flags/<int:flag_id>/resolve/", actions.flag_resolve_view, name="flag_resolve"),
    path("flags/<int:flag_id>/snooze/", actions.flag_snooze_view, name="flag_snooze"),
    path("tasks/<int:task_id>/claim/", actions.task_claim_view, name="task_claim"),
    path("tasks/<int:task_id>/complete/", actions.task_complete_view, name="task_complete"),
    # Worklist and inbox.
    path("worklist/", pages.worklist, name="worklist"),
    path("inbox/", pages.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", actions.notification_read, name="notification_read"),
    path("inbox/read-all/", actions.notifications_read_all, name="notifications_read_all"),
    # Case conferences.
    path("conferences/", conferences.conferences, name="conferences"),
    path("conferences/<int:conference_id>/", conferences.conference_detail, name="conference"),
    path(
        "conferences/<int:conference_id>/add-patient/",
        conferences.agenda_add_patient,
        name="agenda_add_patient",
    ),
    path(
        "conferences/<int:conference_id>/close/",
        conferences.conference_close_view,
        name="conference_close",
    ),
    path("agenda/<int:item_id>/input/", conferences.agenda_input, name="agenda_input"),
    path("agenda/<int:item_id>/decision/", conferences.agenda_decision, name="agenda_decision"),
    # Team overview.
    path("teams/", pages.team_overview, name="team_overview"),
    path("teams/<int:team_id>/", pages.team_overview, name="team"),
]
