"""The ``Secret`` value type and the redaction used everywhere output is produced.

A ``Secret`` never shows its value in ``str``/``repr``/``format``/pickles; code that really needs the value calls
``reveal()`` at the last moment (typing into a password field, a keyring write, an HTTP body). Every ``Secret``
made in this process is also remembered (in memory only) so that ``redact_text`` and ``RedactingFilter`` can mask
its value if it ever reaches a log line or an error message by another path.

``redact_mapping`` and ``redact_headers`` mask well-known secret-bearing keys (Authorization, password, secret,
passkey, token, otp, ...) for debug output of HTTP traffic and settings.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any, NoReturn

MASK = "********"
_MIN_REDACT_LEN = 4  # shorter values (e.g. "1") would mask unrelated text; they are still never printed by us

_known: set[str] = set()
_known_lock = threading.Lock()

SECRET_KEY_PATTERN = re.compile(
    r"(authori[sz]ation|pass(word|wd|key|phrase)?|secret|token|otp|captcha|cookie|credential|answer|api[_-]?key)",
    re.IGNORECASE,
)


def remember(value: str) -> None:
    """Register a secret value so that redaction masks it wherever it shows up.

    Its escaped forms are registered too: inside a JSON string (a keyring document, an HTTP body) and URL-encoded
    (a form post, a query string), so a value containing quotes, backslashes or non-ASCII text is still masked.
    """
    if value and len(value) >= _MIN_REDACT_LEN:
        forms = {
            value,
            json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1],
            urllib.parse.quote_plus(value),
            urllib.parse.quote(value, safe=""),
        }
        with _known_lock:
            _known.update(forms)


def forget_all() -> None:
    """Forget every remembered value (tests start each case with none, so one test's 4-digit captcha does not
    mask a number in another test's message)."""
    with _known_lock:
        _known.clear()


class Secret:
    """A string that masks itself. Compare with ``==`` (constant time); get the value with ``reveal()``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError("Secret() takes a str")
        self._value = value
        remember(value)

    def reveal(self) -> str:
        """The plain value. Call it only where the value must leave the process (keyring, form field, HTTP body)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("Secret values cannot be pickled")


def redact_text(text: str) -> str:
    """Mask every remembered secret value in ``text``."""
    with _known_lock:
        values = sorted(_known, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


def redact_mapping(data: Any) -> Any:
    """A copy of ``data`` (nested dicts/lists) with secret-looking keys masked and remembered values redacted."""
    if isinstance(data, Mapping):
        out: dict[Any, Any] = {}
        for key, value in data.items():
            if isinstance(key, str) and SECRET_KEY_PATTERN.search(key) and value not in (None, "", False):
                out[key] = MASK
            else:
                out[key] = redact_mapping(value)
        return out
    if isinstance(data, list | tuple):
        return [redact_mapping(v) for v in data]
    if isinstance(data, Secret):
        return MASK
    if isinstance(data, str):
        return redact_text(data)
    return data


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """HTTP headers for debug output: Authorization, cookies and other secret-looking headers masked."""
    return {k: (MASK if SECRET_KEY_PATTERN.search(k) else redact_text(v)) for k, v in headers.items()}


class RedactingFilter(logging.Filter):
    """A logging filter that masks remembered secret values in the formatted message and the exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not leak the raw args either
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info:
            import traceback

            record.exc_text = redact_text("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True
