"""Reading Django admin forms in tests: their relation fields, and the POST data a browser would
send back for them (management forms and inline forms included)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db.models import Model

# --- Forms of a response ------------------------------------------------------------


def admin_forms(response: Any) -> list[tuple[str, forms.BaseForm]]:
    """(where, form) for the main form and every inline form, the blank template included."""
    found: list[tuple[str, forms.BaseForm]] = [("form", response.context["adminform"].form)]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        found.extend((f"inline {formset.prefix}", form) for form in formset.forms)
        found.append((f"inline {formset.prefix} (new)", formset.empty_form))
    return found


def relations(form: forms.BaseForm) -> list[tuple[str, forms.ModelChoiceField]]:
    own_pk = form._meta.model._meta.pk.name if hasattr(form, "_meta") else None
    return [
        (name, field)
        for name, field in form.fields.items()
        if isinstance(field, forms.ModelChoiceField) and not field.disabled and name != own_pk
    ]


# --- POST data from a rendered form (what a browser would send back) -----------------------------


def field_data(name: str, field: forms.Field, value: Any) -> dict[str, Any]:
    if field.disabled:
        return {}
    widget = field.widget
    while isinstance(widget, RelatedFieldWidgetWrapper):
        widget = widget.widget
    if isinstance(widget, forms.MultiWidget):
        context = widget.get_context(name, value, None)["widget"]
        return {sub["name"]: sub["value"] or "" for sub in context["subwidgets"]}
    if isinstance(widget, forms.CheckboxInput):
        return {name: "on"} if widget.check_test(value) else {}
    formatted = widget.format_value(value)
    if isinstance(widget, forms.SelectMultiple):
        return {name: [v for v in formatted if v]}
    if isinstance(widget, forms.Select):
        return {name: formatted[0] if formatted else ""}
    return {name: "" if formatted is None else formatted}


def form_data(form: forms.BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        data.update(field_data(form.add_prefix(name), field, form[name].value()))
    return data


def post_data(response: Any) -> dict[str, Any]:
    data = form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(form_data(formset.management_form))
        for form in formset.forms:
            data.update(form_data(form))
    return data


def choice_value(field: forms.ModelChoiceField, row: Model) -> Any:
    return [str(row.pk)] if isinstance(field, forms.ModelMultipleChoiceField) else str(row.pk)


def refused(errors: Any, name: str) -> bool:
    return any("Select a valid choice" in str(message) for message in errors.get(name, []))


def snapshot(model: type[Model]) -> list[tuple[Any, ...]]:
    return sorted(model._default_manager.values_list(), key=repr)


def errors_of(response: Any) -> Any:
    """The form and inline errors of an admin response (for assertion messages)."""
    if response.context is None or "adminform" not in response.context:
        return response.status_code
    errors = [response.context["adminform"].form.errors]
    errors += [f.formset.errors for f in response.context["inline_admin_formsets"]]
    return errors
