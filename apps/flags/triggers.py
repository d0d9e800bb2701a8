"""Re-evaluate a patient's rules right after a relevant change (enqueued on commit)."""

from typing import Any

from apps.core.enqueue import enqueue_on_commit


def patient_changed(patient: Any) -> None:
    patient_id = patient if isinstance(patient, int) else patient.pk
    enqueue_on_commit("flags.evaluate_patient", patient_id)
