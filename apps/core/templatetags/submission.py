"""``{% submission_key %}``: the hidden one-time key of a create form (apps/core/idempotency.py).

A builtin tag (settings ``TEMPLATES`` ``builtins``), like ``{% csrf_token %}``: put it inside
every form whose view is wrapped in ``@one_time_submission``. A form shown again after a POST
(with its errors) keeps the key it was sent with — the first tag on that page only — so the
corrected submission and a repeat of it still count as one.
"""

import uuid
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.core.idempotency import FORM_FIELD, valid_key

register = template.Library()


@register.simple_tag(takes_context=True)
def submission_key(context: Any) -> SafeString:
    request = context.get("request")
    key = ""
    if (
        request is not None
        and request.method == "POST"
        and not getattr(request, "_submission_key_reused", False)
    ):
        posted = request.POST.get(FORM_FIELD, "")
        if valid_key(posted):
            key = posted
            request._submission_key_reused = True
    return format_html(
        '<input type="hidden" name="{}" value="{}">', FORM_FIELD, key or uuid.uuid4().hex
    )
