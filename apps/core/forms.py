"""Project-wide form rendering: every control gets an accessible name.

Django's admin renders some controls without a ``<label for>``: the date and time halves of a
split date-time field, and every field in a tabular inline row (the column header is the only
label, which assistive technology does not associate with the control), including the formset's
"Delete" checkbox. axe-core reports these as critical ("Form elements must have labels").

``LabelledBoundField`` (installed for every form through ``FORM_RENDERER``) adds an
``aria-label`` naming the field in exactly those two cases, so the fix covers our admin classes
and third-party ones (django-celery-beat, django-otp, …) alike. Forms with a visible label are
left as they are.
"""

import re
from typing import Any

from django.forms import MultiWidget
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates

_FORMSET_PREFIX = re.compile(r"-(\d+|__prefix__)$")


class LabelledBoundField(BoundField):
    def build_widget_attrs(self, attrs: dict[str, Any], widget: Any = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if widget.is_hidden or "aria-label" in attrs or "aria-label" in widget.attrs:
            return attrs
        label = str(self.label or self.name.replace("_", " ").capitalize())
        if isinstance(widget, MultiWidget):
            parts = ("date", "time") if len(widget.widgets) == 2 else None
            for i, sub in enumerate(widget.widgets):
                suffix = parts[i] if parts else str(i + 1)
                sub.attrs.setdefault("aria-label", f"{label} ({suffix})")
        elif self.form.prefix and _FORMSET_PREFIX.search(self.form.prefix):
            attrs["aria-label"] = label
        return attrs


class FormRenderer(DjangoTemplates):
    bound_field_class = LabelledBoundField
