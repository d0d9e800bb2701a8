"""A small pluggable SMS backend, shaped like Django's email backends.

``settings.SMS_BACKEND`` is the dotted path of the backend class:

- ``apps.messaging.sms.FileSMSBackend`` (default, the demo): one text file per message in
  ``settings.SMS_FILE_PATH`` that a user can open;
- ``apps.messaging.sms.ConsoleSMSBackend``: writes messages to stdout;
- ``apps.messaging.sms.LocmemSMSBackend`` (tests): appends to ``apps.messaging.sms.outbox``,
  like ``django.core.mail.outbox``.

A production gateway is one more subclass of ``BaseSMSBackend``. Backends raise on failure
(``OSError``/``ConnectionError`` for a transient one, ``ValueError`` for a bad number): the
delivery service decides whether to retry.
"""

import sys
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

SMSMessage = tuple[str, str]  # (to, body)


@dataclass(frozen=True)
class SentSMS:
    to: str
    body: str


# Messages "sent" by LocmemSMSBackend, in order (tests clear it between tests).
outbox: list[SentSMS] = []


class BaseSMSBackend:
    def __init__(self, *, fail_silently: bool = False, **kwargs: Any) -> None:
        self.fail_silently = fail_silently

    def send_messages(self, messages: Sequence[SMSMessage]) -> int:
        """Send each ``(to, body)``; return how many were sent."""
        raise NotImplementedError

    @staticmethod
    def validate(to: str, body: str) -> None:
        if not to or not to.strip():
            raise ValueError("The SMS has no phone number to send to.")
        if any(c in to for c in "\r\n"):
            raise ValueError("The phone number contains a line break.")
        if not body:
            raise ValueError("The SMS has no text.")


class LocmemSMSBackend(BaseSMSBackend):
    def send_messages(self, messages: Sequence[SMSMessage]) -> int:
        for to, body in messages:
            self.validate(to, body)
            outbox.append(SentSMS(to=to, body=body))
        return len(messages)


class ConsoleSMSBackend(BaseSMSBackend):
    def __init__(self, *, stream: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, messages: Sequence[SMSMessage]) -> int:
        with self._lock:
            for to, body in messages:
                self.validate(to, body)
                self.stream.write(f"SMS to {to}\n{body}\n{'-' * 40}\n")
            self.stream.flush()
        return len(messages)


class FileSMSBackend(BaseSMSBackend):
    def __init__(self, *, file_path: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file_path = Path(file_path or settings.SMS_FILE_PATH)

    def send_messages(self, messages: Sequence[SMSMessage]) -> int:
        self.file_path.mkdir(parents=True, exist_ok=True)
        for to, body in messages:
            self.validate(to, body)
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            name = f"{stamp}-{uuid.uuid4().hex[:12]}.txt"
            (self.file_path / name).write_text(f"To: {to}\n\n{body}\n", encoding="utf-8")
        return len(messages)


def get_sms_backend(backend: str | None = None, **kwargs: Any) -> BaseSMSBackend:
    """An instance of ``backend`` (a dotted path), by default ``settings.SMS_BACKEND``."""
    cls = import_string(backend or settings.SMS_BACKEND)
    instance: BaseSMSBackend = cls(**kwargs)
    return instance
