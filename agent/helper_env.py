"""What a user-configured helper program (an SMS bridge, a captcha helper) gets from us: its argv and environment.

What belongs here: turning the configured command (a string or a list) into an argv, split the way the user's OS
splits command lines, and building the *minimal* environment the program runs with. Running the program and
reading its answer is ``agent.portal.human.CommandInput``'s job.

The environment is built from an allow-list, never by copying ours and removing things: ``PATH``, ``HOME`` (and
``USERPROFILE``, ``SYSTEMROOT``, ``windir``, ``COMSPEC``, ``PATHEXT``, ``TEMP``, ``TMP`` on Windows), the locale
(``LANG``, ``LANGUAGE``, ``LC_*``), plus what we set for the request: ``MPESA_AGENT_WANT`` (``captcha``, ``otp``
or ``sms``), ``MPESA_AGENT_PHONE`` (a masked phone hint), ``MPESA_AGENT_REQUEST_ID`` and, for a captcha,
``MPESA_AGENT_CAPTCHA_FILE``. After the portal refused the program's last answer of the same kind (a wrong
captcha, a refused SMS code, a refused temporary password), ``MPESA_AGENT_RETRY=1`` and ``MPESA_AGENT_ATTEMPT``
(the number of this try, 2 for the first retry) tell it to look for a newer SMS or read the picture again; they
carry only that fact, never the refused answer. An allowed variable is still dropped when its name looks secret
(``agent.secret.SECRET_KEY_PATTERN``) or its value contains a value registered with ``agent.secret.remember``.
So ``MPESA_AGENT_ADMIN_PASSWORD`` and anything else the user exported for the agent never reach a third-party
program. The argv is checked the same way: a command line holding a remembered secret is refused.
"""

from __future__ import annotations

import os
import re
import shlex
import uuid
from collections.abc import Mapping, Sequence
from typing import Final

from agent.errors import UsageError
from agent.secret import SECRET_KEY_PATTERN, redact_text

WANT_ENV: Final = "MPESA_AGENT_WANT"
PHONE_ENV: Final = "MPESA_AGENT_PHONE"
REQUEST_ID_ENV: Final = "MPESA_AGENT_REQUEST_ID"
CAPTCHA_FILE_ENV: Final = "MPESA_AGENT_CAPTCHA_FILE"
RETRY_ENV: Final = "MPESA_AGENT_RETRY"
ATTEMPT_ENV: Final = "MPESA_AGENT_ATTEMPT"
WANTS: Final = ("captcha", "otp", "sms")

#: Inherited on every OS (compared case-insensitively on Windows, where names are case-insensitive).
POSIX_ALLOWED: Final = ("PATH", "HOME", "LANG", "LANGUAGE")
#: Inherited on Windows only: the program cannot start DLL loading, a console or temp files without them.
WINDOWS_ALLOWED: Final = ("USERPROFILE", "SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT", "TEMP", "TMP")
_LOCALE_RE = re.compile(r"LC_[A-Z_]+")
_HINT = (
    "Set otp_command / captcha_command in the configuration file, as a string "
    '(otp_command = "sms-bridge --last") or a list (otp_command = ["C:\\\\Program Files\\\\Bridge\\\\sms.exe", '
    '"--last"]), or pass --codes-command.'
)


def _is_windows(windows: bool | None) -> bool:
    return os.name == "nt" if windows is None else windows


def looks_secret(name: str, value: str) -> bool:
    """True when a variable's name looks secret or its value holds a value the agent keeps secret."""
    return bool(SECRET_KEY_PATTERN.search(name)) or redact_text(value) != value


def _allowed(name: str, windows: bool) -> bool:
    upper = name.upper()
    if upper in POSIX_ALLOWED or _LOCALE_RE.fullmatch(upper):
        return True
    return windows and upper in WINDOWS_ALLOWED


def mask_phone(phone: str) -> str:
    """A phone number with its middle digits hidden (``+254712345678`` → ``+2547*****678``); short hints pass as is."""
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) < 7:
        return phone
    keep = set(digits[:4] + digits[-3:])
    return "".join(ch if (i in keep or not ch.isdigit()) else "*" for i, ch in enumerate(phone))


def new_request_id() -> str:
    """A random id for one question to a helper program (lets the program match its log to ours)."""
    return uuid.uuid4().hex


def helper_environment(
    want: str,
    *,
    phone_hint: str = "",
    request_id: str | None = None,
    extra: Mapping[str, str] | None = None,
    refused: int = 0,
    environ: Mapping[str, str] | None = None,
    windows: bool | None = None,
) -> dict[str, str]:
    """The complete environment for a helper program asked for ``want`` (``captcha``, ``otp`` or ``sms``).

    ``environ`` defaults to ``os.environ``; ``phone_hint`` is masked again here in case a full number is given;
    ``extra`` are our own request variables (e.g. ``MPESA_AGENT_CAPTCHA_FILE``), checked for secret values only.
    ``refused`` is how many answers of this kind the portal refused in a row just before: above 0 the program gets
    ``MPESA_AGENT_RETRY=1`` and ``MPESA_AGENT_ATTEMPT=refused + 1``.
    """
    if want not in WANTS:
        raise ValueError(f"unknown helper request {want!r}")
    source = os.environ if environ is None else environ
    win = _is_windows(windows)
    env = {
        name: value
        for name, value in source.items()
        if _allowed(name, win) and not looks_secret(name, value) and "\x00" not in value
    }
    ours = {WANT_ENV: want, REQUEST_ID_ENV: request_id or new_request_id()}
    if phone_hint:
        ours[PHONE_ENV] = mask_phone(phone_hint)
    if refused > 0:
        ours[RETRY_ENV] = "1"
        ours[ATTEMPT_ENV] = str(refused + 1)
    for name, value in (extra or {}).items():
        if redact_text(value) != value:
            raise ValueError(f"refusing to pass a secret value in {name}")
        ours[name] = value
    env.update(ours)
    return env


# --- Command lines ---------------------------------------------------------------------------------------------


def split_windows(command: str) -> list[str]:
    """Split ``command`` the way Windows programs split their command line (``CommandLineToArgvW`` rules).

    The program name (first word) ends at the closing quote or at white space, and backslashes in it are literal,
    so ``"C:\\Program Files\\Bridge\\sms.exe" --last`` works. In the arguments, ``2n`` backslashes before a quote
    are ``n`` backslashes and the quote opens/closes; ``2n+1`` are ``n`` and a literal quote; ``""`` inside quotes
    is a literal quote. Unlike Windows, an unclosed quote is an error (``ValueError``) rather than a guess.
    """
    args: list[str] = []
    i, n = 0, len(command)
    while i < n and command[i] in " \t":
        i += 1
    if i >= n:
        return []
    # argv[0]
    if command[i] == '"':
        end = command.find('"', i + 1)
        if end < 0:
            raise ValueError("No closing quotation")
        args.append(command[i + 1 : end])
        i = end + 1
        if i < n and command[i] not in " \t":
            raise ValueError("text right after the program's closing quotation")
    else:
        start = i
        while i < n and command[i] not in " \t":
            if command[i] == '"':
                raise ValueError("a quotation inside the program name")
            i += 1
        args.append(command[start:i])
    # the arguments
    while True:
        while i < n and command[i] in " \t":
            i += 1
        if i >= n:
            return args
        current: list[str] = []
        quoted = False
        while i < n and (quoted or command[i] not in " \t"):
            ch = command[i]
            if ch == "\\":
                start = i
                while i < n and command[i] == "\\":
                    i += 1
                count = i - start
                if i < n and command[i] == '"':
                    current.append("\\" * (count // 2))
                    if count % 2:
                        current.append('"')
                        i += 1
                else:
                    current.append("\\" * count)
                continue
            if ch == '"':
                if quoted and i + 1 < n and command[i + 1] == '"':
                    current.append('"')
                    i += 2
                    continue
                quoted = not quoted
                i += 1
                continue
            current.append(ch)
            i += 1
        if quoted:
            raise ValueError("No closing quotation")
        args.append("".join(current))


def command_argv(command: str | Sequence[str], *, windows: bool | None = None, what: str = "code command") -> list[str]:
    """The argv of a configured helper ``command``: a list is used as given, a string is split per OS.

    A string is split with ``shlex`` (POSIX rules) on POSIX and with ``split_windows`` on Windows. An empty
    command, an unbalanced quote, a list holding something other than text, or a command line that holds a value
    the agent keeps secret is a ``UsageError`` (exit 2) saying how to write it.
    """
    if isinstance(command, str):
        try:
            argv = split_windows(command) if _is_windows(windows) else shlex.split(command, posix=True)
        except ValueError as exc:
            raise UsageError(
                f"The {what} cannot be read: {exc} (check its quotes).",
                hint="Quote a path with spaces in double quotes, or give the command as a list. " + _HINT,
            ) from None
    elif isinstance(command, Sequence) and all(isinstance(part, str) for part in command):
        argv = list(command)
    else:
        raise UsageError(f"The {what} must be text or a list of texts.", hint=_HINT)
    if not argv or not argv[0].strip():
        raise UsageError(f"The {what} provider needs a program to run.", hint=_HINT)
    if any("\x00" in part for part in argv):
        raise UsageError(f"The {what} contains a NUL character.", hint=_HINT)
    if any(redact_text(part) != part for part in argv):
        raise UsageError(
            f"The {what} holds a password or code the agent keeps secret; secrets never go on a command line.",
            hint="Remove it from the command: the program gets what it needs from MPESA_AGENT_WANT.",
        )
    return argv
