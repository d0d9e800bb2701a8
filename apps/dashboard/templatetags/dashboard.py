"""Template helpers for the clinician pages: severity badges (text + icon + colour), accessible
form fields, sortable column headers, and the one date/number format (apps.core.text): ``day``
("4 Dec 2026"), ``when`` ("4 Dec 2026, 14:05"), ``clock`` ("14:05"), ``score`` ("33.3"),
``plural`` ("1 reading"), relative dates."""

import datetime as dt
from typing import Any

from django import template
from django.forms import BoundField, CheckboxInput, RadioSelect
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from apps.core import text
from apps.core.choices import Severity
from apps.core.dates import clinic_today
from apps.patients.models import RedFlagCategory

from ..charts import severity_icon
from ..evidence import EvidenceView, evidence_view

register = template.Library()


@register.simple_tag
def severity_badge(severity: str, text: str = "", label: str = "") -> SafeString:
    """``▲ Urgent`` / ``● Warning`` / ``○ Info``: the word, a shape and a colour. ``label``
    replaces the word (it must still say the severity, e.g. "Urgent flag")."""
    label = label or (str(Severity(severity).label) if severity in Severity.values else severity)
    return format_html(
        '<span class="badge sev sev-{s}">{icon}<span>{label}</span>{extra}</span>',
        s=severity if severity in Severity.values else "info",
        icon=severity_icon(severity),
        label=label,
        extra=format_html('<span class="badge-extra"> · {}</span>', text) if text else "",
    )


@register.simple_tag
def risk_badge(risk: str) -> SafeString:
    if not risk:
        return format_html('<span class="muted">{}</span>', "—")
    return format_html(
        '<span class="badge risk risk-{r}">{label}</span>', r=risk, label=risk.capitalize()
    )


@register.filter
def score(value: Any, places: int = 1) -> str:
    """A score, percentage or dose: "33.3", "50", "—" for none."""
    return text.format_score(value, int(places))


@register.filter
def day(value: dt.date | dt.datetime | None, style: str = "") -> str:
    """ "4 Dec 2026"; ``day:"weekday"`` -> "Fri 4 Dec 2026". Empty for no date."""
    if value in (None, ""):
        return ""
    return text.format_date(value, weekday=style == "weekday")  # type: ignore[arg-type]


@register.filter
def when(value: dt.datetime | None, style: str = "") -> str:
    """ "4 Dec 2026, 14:05" in the clinic's time zone; ``when:"weekday"`` adds the weekday."""
    if value in (None, ""):
        return ""
    return text.format_datetime(value, weekday=style == "weekday")  # type: ignore[arg-type]


@register.filter
def clock(value: dt.datetime | dt.time | None) -> str:
    """ "14:05"."""
    if value in (None, ""):
        return ""
    return text.format_time(value)  # type: ignore[arg-type]


@register.filter
def as_evidence(evidence: Any) -> EvidenceView:
    return evidence_view(evidence)


@register.filter
def days_ago(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "—"
    day = timezone.localdate(value) if isinstance(value, dt.datetime) else value
    n = (clinic_today() - day).days
    if n == 0:
        return "today"
    if n == 1:
        return "yesterday"
    if n < 0:
        return f"in {-n} days" if n < -1 else "tomorrow"
    return f"{n} days ago"


@register.filter
def overdue_days(value: dt.date | None) -> int:
    if value is None:
        return 0
    return max((clinic_today() - value).days, 0)


@register.filter
def red_flag_category(value: str) -> str:
    return str(RedFlagCategory(value).label) if value in RedFlagCategory.values else value


@register.filter
def plural(n: int, word: str) -> str:
    """ "1 reading", "3 readings"; ``plural:"entry,entries"`` for an irregular plural."""
    singular, _, many = word.partition(",")
    return text.plural(int(n), singular, many or None)


# --- Form fields --------------------------------------------------------------------------------


def _describedby(field: BoundField) -> str:
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_help")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    return " ".join(ids)


@register.filter
def aria_widget(field: BoundField) -> SafeString:
    """The field's widget with ``aria-describedby`` (help and error) and ``aria-invalid``."""
    attrs: dict[str, Any] = {}
    described = _describedby(field)
    if described and not isinstance(field.field.widget, RadioSelect):
        attrs["aria-describedby"] = described
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, CheckboxInput)


@register.inclusion_tag("dashboard/_field.html")
def form_field(field: BoundField, css: str = "") -> dict[str, Any]:
    return {"field": field, "css": css}


# --- Sortable table headers ------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], key: str, label: str, css: str = "") -> SafeString:
    """A ``<th>`` whose link sorts by ``key`` (again: reverses), keeping the filters in the URL.
    ``aria-sort`` tells assistive technology the current order."""
    request = context["request"]
    current = request.GET.get("sort", "")
    if current == key:
        new, state, arrow = f"-{key}", "ascending", "▲"
    elif current == f"-{key}":
        new, state, arrow = key, "descending", "▼"
    else:
        new, state, arrow = key, "", ""
    params = {k: v for k, v in request.GET.items() if k not in ("sort", "page")}
    params["sort"] = new
    aria = format_html(' aria-sort="{}"', state) if state else ""
    return format_html(
        '<th scope="col" class="{css}"{aria}><a class="sort" href="?{qs}">{label}'
        '<span class="sort-arrow" aria-hidden="true">{arrow}</span>'
        '<span class="visually-hidden">{hint}</span></a></th>',
        css=css,
        aria=aria,
        qs=urlencode(params),
        label=label,
        arrow=arrow,
        hint=", sort" if not state else f", sorted {state}; activate to reverse",
    )
