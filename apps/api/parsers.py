"""The only request body the API accepts: JSON, at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes.

DRF's own JSONParser reads the stream without Django's size check; this one stops reading past
the limit (a 413, whatever Content-Length claims) and turns every kind of malformed JSON —
broken syntax, NaN, numbers of thousands of digits, absurd nesting, invalid Unicode, NUL
characters — into a 400 ``parse_error`` instead of a 500 further down.
"""

import codecs
import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .exceptions import RequestTooLarge


def _strict_constant(value: str) -> Any:
    raise ValueError(f"{value} is not a valid JSON value")


class LimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = parser_context.get("request")
        if limit is not None and request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except (TypeError, ValueError):
                declared = 0
            if declared > limit:
                raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            codecs.lookup(encoding)
            text = raw.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - the body is not valid {encoding} text.") from exc
        try:
            data = json.loads(text, parse_constant=_strict_constant)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        _check_text(data)
        return data


def _check_text(data: Any) -> None:
    """Refuse strings the database cannot store: NUL characters and lone surrogates."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise ParseError("JSON parse error - text may not contain NUL characters.")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ParseError("JSON parse error - text contains invalid Unicode.") from exc
