"""Ship the two plan templates of the care pathway (DESIGN.md "The clinical model it follows")."""

from django.db import migrations

TEMPLATES = [
    {
        "slug": "acute-conservative-care",
        "name": "Acute conservative care",
        "description": (
            "Acute back pain treated conservatively: as much activity as tolerated, acetaminophen "
            "and/or an anti-inflammatory, cold packs. Pain usually subsides within 4 to 7 days; "
            "with no improvement after 7 days the patient should contact the doctor. No bed rest."
        ),
        "interventions": [
            ("activity_advice", "physician", "Stay as active as tolerated: standing, walking, working", 0, None),
            ("medication", "physician", "Acetaminophen and/or an anti-inflammatory for symptom relief", 0, 14),
            ("cold_heat", "nurse", "Cold packs for swelling and pain in the first days", 0, 7),
            ("education", "physician", "Pain usually settles in 4–7 days; contact us if not improving by day 7", 0, None),
            ("return_to_work", "care_coordinator", "Keep working, or return in any capacity, as soon as possible", 0, None),
        ],
        "goals": [
            ("nrs", "Pain meaningfully reduced (2 points or 30%) by day 7", None, 7),
            ("nrs", "Pain at or below 3/10", "3", 28),
            ("work_status", "Working in any capacity", None, 14),
        ],
        "follow_ups": [
            ("care_coordinator", "coordinator_call", "Check-in call about pain and activity", 3),
            ("physician", "physician_visit", "Day-7 pain review: improved or needs reassessment?", 7),
        ],
    },
    {
        "slug": "chronic-multidisciplinary-programme",
        "name": "Chronic multidisciplinary programme",
        "description": (
            "Chronic, persistent, disabling pain: a complete approach addressing psychological and "
            "physical aspects, by physician, physical therapist, psychologist or psychiatrist and "
            "pain-management specialist. Active exercise-oriented physical therapy is the "
            "cornerstone; medication relieves symptoms so rehabilitation can go on; return to an "
            "active, productive life and to work in any capacity."
        ),
        "interventions": [
            ("exercise_programme", "physical_therapist", "Individualised home exercise programme (spine-oriented PT)", 0, None),
            ("pt_visits", "physical_therapist", "PT follow-up visits to fine-tune the exercise programme", 7, 84),
            ("psychological_therapy", "psychologist", "Pain-focused cognitive behavioural therapy", 14, 84),
            ("medication", "physician", "Symptom relief that enables active rehabilitation (review regularly)", 0, None),
            ("sleep", "psychologist", "Sleep plan (poor sleep magnifies pain)", 14, None),
            ("education", "pain_specialist", "Pain education and self-management", 0, None),
            ("return_to_work", "care_coordinator", "Return-to-work plan: work in any capacity", 0, None),
        ],
        "goals": [
            ("peg", "PEG improved by 30% or more", None, 84),
            ("odi", "ODI down by 10 points or 30%", None, 84),
            ("work_status", "Back at work in any capacity", None, 84),
        ],
        "follow_ups": [
            ("physical_therapist", "pt_visit", "Book the first PT visit to set up the exercise programme", 7),
            ("psychologist", "psychology_session", "Book the first psychology session", 14),
            ("pain_specialist", "pain_clinic", "Book the pain-management review", 21),
            ("physician", "physician_visit", "Book the physician medication review", 28),
        ],
    },
]


def create_templates(apps, schema_editor):
    PlanTemplate = apps.get_model("careplans", "PlanTemplate")
    for data in TEMPLATES:
        template, _ = PlanTemplate.objects.update_or_create(
            slug=data["slug"], defaults={"name": data["name"], "description": data["description"]}
        )
        template.interventions.all().delete()
        template.goals.all().delete()
        template.follow_ups.all().delete()
        for order, (kind, discipline, description, offset, duration) in enumerate(data["interventions"]):
            template.interventions.create(
                kind=kind,
                discipline=discipline,
                description=description,
                start_offset_days=offset,
                duration_days=duration,
                order=order,
            )
        for order, (measure, description, target, due) in enumerate(data["goals"]):
            template.goals.create(
                measure=measure, description=description, target=target, due_offset_days=due, order=order
            )
        for order, (discipline, kind, title, offset) in enumerate(data["follow_ups"]):
            template.follow_ups.create(
                discipline=discipline, appointment_kind=kind, title=title, offset_days=offset, order=order
            )


def remove_templates(apps, schema_editor):
    PlanTemplate = apps.get_model("careplans", "PlanTemplate")
    PlanTemplate.objects.filter(slug__in=[t["slug"] for t in TEMPLATES], plans__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("careplans", "0001_initial")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
