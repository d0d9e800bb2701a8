"""Logs redact patient identifiers."""

import logging

from apps.core.logging import RedactPatientIdentifiers, redact


def test_it_masks_emails_phones_and_mrns():
    text = redact(
        "SMTP refused jane.doe@example.org, call +1 (555) 123-4567 about MRN 000123 / DEMO-0042"
    )
    assert (
        "jane.doe" not in text
        and "555" not in text
        and "000123" not in text
        and "DEMO-0042" not in text
    )
    assert "[email]" in text and "[phone]" in text


def test_it_keeps_ids_and_ordinary_text():
    assert (
        redact("Evaluated 120 episodes in 0.52 s (flag 17)")
        == "Evaluated 120 episodes in 0.52 s (flag 17)"
    )


def test_the_logging_filter_rewrites_records_and_exceptions(caplog):
    logger = logging.getLogger("careteam.test.redaction")
    logger.addFilter(RedactPatientIdentifiers())
    try:
        with caplog.at_level(logging.WARNING, logger="careteam.test.redaction"):
            logger.warning("Could not reach %s", "patient@example.org")
            try:
                raise ValueError("bad address bob@example.org")
            except ValueError:
                logger.exception("send failed")
    finally:
        logger.filters.clear()
    assert "patient@example.org" not in caplog.text
    assert "bob@example.org" not in caplog.text
    assert "[email]" in caplog.text
