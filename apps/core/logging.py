"""Logs never carry patient identifiers: a filter masks them in every record.

Our own code logs database ids only; this filter is the safety net for third-party messages
and exceptions (an email address in an SMTP error, an MRN in a validation message).
"""

import logging
import re

# Query parameters whose values are search terms or secrets (a patient's name in ``?q=``).
REDACTED_QUERY_PARAMS = (
    "q|search|name|first_name|last_name|mrn|email|phone|dob|birth_date|date_of_birth|token|otp"
)

PATTERNS = [
    # Secrets in URLs (access logs, "Not Found: /checkin/<token>/", referers): the check-in
    # token and Django's password-reset token, and search terms, also inside an encoded ?next=.
    (re.compile(r"(/checkin/)[^/\s?#\"']+"), r"\1[token]"),
    (re.compile(r"(/reset/[\w-]+/)(?!set-password/)[\w-]+"), r"\1[token]"),
    (
        re.compile(
            rf"((?:[?&;]|%3F|%26)(?:{REDACTED_QUERY_PARAMS})(?:=|%3D))(?:(?!%26)[^&;\s\"'#])*",
            re.IGNORECASE,
        ),
        r"\1[redacted]",
    ),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"\bMRN[\s:#-]*\w+", re.IGNORECASE), "MRN [redacted]"),
    (re.compile(r"\bDEMO-\d{3,}\b"), "[mrn]"),
    # Phone numbers have a shape: international (+ and 7-15 digits, separators allowed) or
    # North American with separators. Dates, times, ids and UUIDs have other shapes and stay.
    (re.compile(r"(?<![\w.+-])\+\d(?:[ ()-]{0,2}\d){6,14}(?![\w-])"), "[phone]"),
    (re.compile(r"(?<![\w.(-])(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])"), "[phone]"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b(?=.*\b(?:born|dob|birth)\b)", re.IGNORECASE), "[date]"),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactPatientIdentifiers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = redact(str(exc))
            if text != str(exc):
                record.exc_text = f"{type(exc).__name__}: {text}"
                record.exc_info = None
        return True
