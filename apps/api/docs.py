"""The text of the API documentation (OpenAPI info.description and tags)."""

API_DESCRIPTION = """
The CareTeam REST API: patients with back pain, their episodes, care teams, care plans,
medications, outcome measures, appointments, worklist tasks, monitoring flags and notifications,
plus a FHIR R4 export. Everything you can read is limited to the caseloads of your teams;
another team's patient is a 404, exactly like a missing one.

## Authentication

* **Integrations: token.** `POST /api/v1/auth/token/` with `{"username": ..., "password": ...}`
  (and `"otp"` when the user has an authenticator app) returns a token; send it as
  `Authorization: Token <token>`. Tokens are stored hashed, expire after 10 hours
  (`API_TOKEN_TTL_HOURS`), are not refreshed by use, and can be revoked with
  `POST /api/v1/auth/logout/` (this token), `POST /api/v1/auth/logoutall/` (all of the user's
  tokens) or in Django admin (*Auth tokens*). Token clients are rate limited
  (`API_TOKEN_THROTTLE_RATE`, default 3600/hour): beyond it, 429 with `Retry-After`.
* **Browser: session.** Signed in to the dashboard, the same endpoints work with the session
  cookie; unsafe methods need the `X-CSRFToken` header.

## Errors

Every error has one body:

```json
{"error": {"status": 400, "code": "invalid", "message": "onset: Onset cannot be in the future.",
           "fields": {"onset": ["Onset cannot be in the future."]}}}
```

`fields` appears on validation errors only, keyed by request field (`non_field_errors` for the
rest). Codes: 400 `invalid` / `parse_error`, 401 `not_authenticated` / `authentication_failed`,
403 `permission_denied`, 404 `not_found`, 405 `method_not_allowed`, 406 `not_acceptable`,
409 `conflict` / `idempotency_key_in_progress`, 413 `request_too_large` (bodies over 1 MB),
415 `unsupported_media_type` (send `application/json`), 422 `idempotency_key_reused`,
429 `throttled` / `locked_out`.

## Retries: `Idempotency-Key`

Send `Idempotency-Key: <1–255 visible ASCII characters, e.g. a UUID>` with any `POST` to retry
it safely: it runs at most once per user and key. The same key with the same endpoint and body
replays the first response (status and body) with `Idempotent-Replayed: true` and writes
nothing; concurrent requests with the same key create one row (the others wait and replay it,
or get 409 `idempotency_key_in_progress` if the first takes more than a few seconds); the same
key with another body or endpoint is 422 `idempotency_key_reused`. Only a successful (2xx)
response is kept, so after an error the same key may be sent again. Keys are kept 24 hours.

## Conventions

Lists are paginated (`?page=`, `?page_size=` up to 100), filtered by the documented query
parameters, searched with `?search=` and sorted with `?ordering=field` or `-field`. Patient data is
never deleted: `DELETE` is 405; archive a patient with `POST /patients/{id}/archive/`, close an
episode with `POST /episodes/{id}/close/`. Scores are computed by the server from the raw answers
(CLINICAL.md). Reading one patient's record (any detail endpoint, the FHIR Bundle) and every
export are written to the audit trail.

## FHIR R4

`GET /api/v1/patients/{id}/fhir/` returns a `collection` Bundle (`application/fhir+json`):
Patient, Organization, Practitioner, Condition (SNOMED CT 279039007 low back pain or 278860009
chronic low back pain), CareTeam, CarePlan, Goal (achievementStatus from the meaningful-change
rules), MedicationRequest, Observation (LOINC: NRS 72514-3, PEG 91148-7 / 91147-9, STarT Back
91351-7, PHQ-9 44249-1 / 44261-6 / item 9 44260-8, GAD-7 70274-6; ODI as text only), Flag, Task
and Appointment, each with a `urn:uuid:` fullUrl that the other entries refer to.
`GET /api/v1/patients/fhir-export/` streams the same resources for every patient you can see as
NDJSON (`application/fhir+ndjson`, one resource per line, references as `Type/id`).
""".strip()

TAGS = [
    {"name": "auth", "description": "Tokens for integrations (django-rest-knox)."},
    {"name": "patients", "description": "Patients of your teams' caseloads; their FHIR export."},
    {"name": "episodes", "description": "Episodes of back pain (phase derived from the onset)."},
    {"name": "care-team-members", "description": "Who holds which role on an episode's care team."},
    {"name": "care-plans", "description": "Care plans, created from a plan template."},
    {"name": "goals", "description": "Goals of care plans."},
    {"name": "interventions", "description": "Interventions of care plans."},
    {"name": "plan-templates", "description": "The plan templates admins maintain."},
    {"name": "medications", "description": "Medication orders (daily MME computed for opioids)."},
    {"name": "assessments", "description": "Outcome measures: answers in, scores out."},
    {"name": "appointments", "description": "Appointments and follow-up visits."},
    {"name": "tasks", "description": "Worklist tasks of your teams."},
    {"name": "flags", "description": "Monitoring rules' findings: acknowledge, resolve, snooze."},
    {"name": "notifications", "description": "Your in-app notifications."},
    {"name": "teams", "description": "Your teams and their members."},
]
