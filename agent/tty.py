"""Asking the person at the terminal even when standard input is redirected.

What belongs here: reading one answer from the *controlling terminal* (``/dev/tty`` on POSIX, the console's
``CONIN$``/``CONOUT$`` on Windows), with or without echo. It lets ``--admin-password-stdin`` (standard input feeds
the password) work with the prompt providers: their questions go to the terminal instead of to the pipe. What to
ask and how to check the answer is ``agent.portal.human``'s job.

``tty_ask`` raises ``NeedsHumanError`` (exit 3) when there is no terminal at all (cron, CI, a service) and
``EOFError`` when the person closes the input (Ctrl-D; Ctrl-Z Enter on Windows).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import Final

from agent.errors import NeedsHumanError

POSIX_TTY: Final = "/dev/tty"
_NO_TERMINAL_HINT: Final = (
    "Run the command in a terminal, or let a program supply the SMS codes (--codes-from command --codes-command "
    "PROGRAM) and type the captcha in the browser (--captcha-from browser --headed)."
)


def no_terminal_error(what: str = "a question") -> NeedsHumanError:
    """The error for a question with nobody to ask: no terminal, and standard input is not one either."""
    return NeedsHumanError(
        f"There is no terminal to ask on ({what}): standard input is not a terminal and this process has no "
        "controlling terminal.",
        hint=_NO_TERMINAL_HINT,
    )


def has_terminal(path: str = POSIX_TTY) -> bool:
    """True when this process has a terminal to ask on, whatever standard input is."""
    if sys.platform == "win32":  # pragma: no cover - Windows
        try:
            with open("CONOUT$", "w", encoding="utf-8"):
                return True
        except OSError:
            return False
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


@contextlib.contextmanager
def _echo_off(fd: int) -> Iterator[None]:
    import termios

    old = termios.tcgetattr(fd)
    new = list(old)
    new[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSAFLUSH, new)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, old)


def _ask_posix(prompt: str, hidden: bool, path: str, what: str) -> str:
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise no_terminal_error(what) from None
    with io.FileIO(fd, "r+") as raw, io.TextIOWrapper(raw, encoding="utf-8", errors="replace") as tty:
        if hidden:
            with _echo_off(fd):  # before the prompt: once it shows, nothing typed is echoed
                tty.write(prompt + ": ")
                tty.flush()
                line = tty.readline()
            tty.write("\n")
            tty.flush()
        else:
            tty.write(prompt + ": ")
            tty.flush()
            line = tty.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def _ask_windows(prompt: str, hidden: bool, what: str) -> str:  # pragma: no cover - Windows
    if sys.platform != "win32":
        raise AssertionError("Windows only")
    import msvcrt

    try:
        out = open("CONOUT$", "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError:
        raise no_terminal_error(what) from None
    with out:
        out.write(prompt + ": ")
        out.flush()
        if hidden:
            chars: list[str] = []
            while True:  # msvcrt reads the console itself, never the redirected standard input
                ch = msvcrt.getwch()
                if ch in ("\r", "\n"):
                    break
                if ch == "\x03":
                    raise KeyboardInterrupt
                if ch == "\x1a" and not chars:
                    raise EOFError
                if ch == "\b":
                    if chars:
                        chars.pop()
                    continue
                chars.append(ch)
            out.write("\n")
            return "".join(chars)
        try:
            with open("CONIN$", encoding="utf-8") as console:
                line = console.readline()
        except OSError:
            raise no_terminal_error(what) from None
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def tty_ask(prompt: str, hidden: bool, *, path: str = POSIX_TTY, what: str = "a question") -> str:
    """One line typed at the controlling terminal after ``prompt``; not echoed when ``hidden``.

    ``path`` is the POSIX terminal device (tests pass a pseudo-terminal's). No terminal: ``NeedsHumanError``
    naming ``what``; the input closed: ``EOFError``.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows
        return _ask_windows(prompt, hidden, what)
    return _ask_posix(prompt, hidden, path, what)
