"""Logs never carry patient identifiers: a filter masks them in every record.

Our own code logs database ids only; this filter is the safety net for third-party messages
and exceptions (an email address in an SMTP error, an MRN in a validation message).
"""

import logging
import re

PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"\bMRN[\s:#-]*\w+", re.IGNORECASE), "MRN [redacted]"),
    (re.compile(r"\bDEMO-\d{3,}\b"), "[mrn]"),
    (re.compile(r"(?<![\w.])\+?\d[\d ()-]{7,}\d\b"), "[phone]"),
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
