"""Text-message backends, chosen by the dotted path in `settings.SMS_BACKEND`.

Like Django's email backends: a class with `send(to, body)`. Dosewise ships no SMS provider;
a deployment writes a small subclass for its provider (Twilio, an SMPP gateway) and names it
in SMS_BACKEND. A backend raises `SmsError` (or `OSError` for network trouble) when a message
could not be handed over; the worker then retries it with back-off.

- `ConsoleSmsBackend` prints each message (the default);
- `FileSmsBackend` writes one file per message under `settings.SMS_FILE_PATH` (`make run`:
  `var/sms/`), so reminders can be read during development;
- `LocmemSmsBackend` keeps them in `outbox` (tests).
"""

from __future__ import annotations

import abc
import re
import sys
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

# A telephone number as people type it: digits with optional +, spaces, dots, dashes, brackets.
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{5,30}")


class SmsError(Exception):
    """The message could not be handed to the provider; the worker retries later."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


def check_number(to: str) -> str:
    """The number, stripped; SmsError if it is not a telephone number at all."""
    number = to.strip()
    if not _PHONE.fullmatch(number):
        raise SmsError(f"Not a telephone number: {to!r}")
    return number


class BaseSmsBackend(abc.ABC):
    """Send one text message; raise SmsError if it could not be handed over. A deployment's
    provider is a subclass named in the SMS_BACKEND setting."""

    @abc.abstractmethod
    def send(self, to: str, body: str) -> None: ...


class ConsoleSmsBackend(BaseSmsBackend):
    """Print each message (development, or a deployment without text messages)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, to: str, body: str) -> None:
        number = check_number(to)
        self.stream.write(f"SMS to {number}\n{body}\n{'-' * 40}\n")
        self.stream.flush()


class FileSmsBackend(BaseSmsBackend):
    """Write each message to its own file under `settings.SMS_FILE_PATH`."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory or settings.SMS_FILE_PATH)

    def send(self, to: str, body: str) -> None:
        number = check_number(to)
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.txt"
        (self.directory / name).write_text(f"To: {number}\n\n{body}\n", encoding="utf-8")


# Messages "sent" by LocmemSmsBackend, like django.core.mail.outbox; tests empty it.
outbox: list[SmsMessage] = []


class LocmemSmsBackend(BaseSmsBackend):
    """Keep each message in `dosewise.notifications.sms.outbox` (tests)."""

    def send(self, to: str, body: str) -> None:
        outbox.append(SmsMessage(check_number(to), body))


@cache
def _backend_class(path: str) -> type[BaseSmsBackend]:
    backend = import_string(path)
    if not (isinstance(backend, type) and issubclass(backend, BaseSmsBackend)):
        raise TypeError(f"{path} is not a subclass of {BaseSmsBackend.__qualname__}")
    return backend


def get_backend() -> BaseSmsBackend:
    """A new instance of the backend named by `settings.SMS_BACKEND`."""
    return _backend_class(settings.SMS_BACKEND)()


def send_sms(to: str, body: str) -> None:
    get_backend().send(to, body)
