"""Human input providers for the captcha, the SMS OTP and the new web operator's SMS credentials.

We never solve captchas. A person supplies every code through one of these providers:

* ``prompt``: this terminal. The captcha image is drawn in the terminal (block characters) and saved to a private
  file; the OTP and the SMS password are read with hidden input.
* ``browser``: the person types into the visible (``--headed``) page; the automation waits for the next screen.
* ``command``: a program the user configured prints the code (e.g. an SMS bridge). It runs without a shell, with
  a minimal environment (``agent.helper_env``: no secret ever) where ``MPESA_AGENT_WANT`` is ``captcha``, ``otp``
  or ``sms`` (plus ``MPESA_AGENT_CAPTCHA_FILE`` for the image, a masked ``MPESA_AGENT_PHONE`` and
  ``MPESA_AGENT_REQUEST_ID``). The command is a list, or a string split the way the OS splits command lines.
* ``sandbox``: reads the embedded sandbox's control surface; it lives in ``agent.sandbox.input`` (this package
  never imports the sandbox) and reaches ``make_human`` through ``extra_kinds``.

Codes are checked for form (4 digits, 6 digits) before use; a person who does not answer in time gets exit 3.
"""

from __future__ import annotations

import abc
import dataclasses
import io
import ipaddress
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from agent import settings
from agent.errors import NeedsHumanError, UsageError
from agent.helper_env import CAPTCHA_FILE_ENV, command_argv, helper_environment
from agent.secret import Secret

CAPTCHA_RE = re.compile(r"^\d{4}$")
OTP_RE = re.compile(r"^\d{6}$")
SMS_OTP_RE = re.compile(r"\b(\d{6})\b")
SMS_CREDENTIALS_RE = re.compile(r"Username:\s*(\S+)\s+Password:\s*(\S+)")


@dataclasses.dataclass(frozen=True)
class SmsCredentials:
    username: str
    password: Secret = dataclasses.field(repr=False)


class HumanInput(abc.ABC):
    """Where captcha answers, OTPs and SMS credentials come from."""

    name: str = "?"
    #: True when the person types the captcha (or the OTP) into the page themselves.
    in_browser: bool = False

    @property
    def captcha_in_browser(self) -> bool:
        return self.in_browser

    @property
    def otp_in_browser(self) -> bool:
        return self.in_browser

    @abc.abstractmethod
    def captcha(self, image_png: bytes, purpose: str) -> Secret:
        """The 4 digits shown in ``image_png``."""

    @abc.abstractmethod
    def otp(self, purpose: str, phone_hint: str) -> Secret:
        """The 6-digit code sent by SMS to the phone described by ``phone_hint``."""

    @abc.abstractmethod
    def sms_credentials(self, purpose: str, msisdn: str, username: str) -> SmsCredentials:
        """The user name and temporary password of a new web operator, from the SMS sent to ``msisdn``."""


#: Builds a provider for the portal at the given URL (``make_human``'s ``extra_kinds``).
InputFactory = Callable[[str], HumanInput]


# ---------------------------------------------------------------------------------------------------------------


def _ascii_image(png: bytes, width: int = 60) -> str:
    """The captcha as block characters, so it can be read in a terminal without opening a file."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        gray = img.convert("L")
        ratio = gray.height / gray.width
        height = max(4, int(width * ratio * 0.5))
        small = gray.resize((width, height))
        pixels = list(small.getdata())
    threshold = sum(pixels) / len(pixels) * 0.8
    rows = []
    for y in range(height):
        row = pixels[y * width : (y + 1) * width]
        rows.append("".join("█" if p < threshold else " " for p in row))
    return "\n".join(rows)


def save_private(data: bytes, name: str) -> Path:
    directory = settings.paths().state_dir / "captcha"
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


class PromptInput(HumanInput):
    """Asks the person at the terminal. ``ask(prompt, hidden)`` and ``say(text)`` are injectable for tests."""

    name = "prompt"

    def __init__(self, ask: Callable[[str, bool], str], say: Callable[[str], None]) -> None:
        self._ask = ask
        self._say = say

    def _code(self, prompt: str, pattern: re.Pattern[str], what: str, hidden: bool) -> Secret:
        for _ in range(3):
            try:
                answer = self._ask(prompt, hidden).strip().replace(" ", "")
            except EOFError:
                raise NeedsHumanError(
                    f"No {what} was typed (the input was closed).",
                    hint="Run the command in a terminal, or let a program supply the codes: --codes-from command "
                    "--codes-command PROGRAM.",
                ) from None
            if pattern.match(answer):
                return Secret(answer)
            self._say(f"That is not a {what}; try again.")
        raise NeedsHumanError(f"No valid {what} after three tries.", hint="Run the same command again.")

    def captcha(self, image_png: bytes, purpose: str) -> Secret:
        path = save_private(image_png, "captcha.png")
        try:
            art = _ascii_image(image_png)
        except Exception:  # noqa: BLE001 - the file is still there
            art = ""
        self._say(f"Verification code for the {purpose} (also saved to {path}):\n{art}")
        return self._code("Type the 4 digits of the verification code", CAPTCHA_RE, "4-digit verification code", False)

    def otp(self, purpose: str, phone_hint: str) -> Secret:
        self._say(f"The portal sent an SMS code to {phone_hint} for the {purpose}.")
        return self._code("Type the 6-digit SMS code", OTP_RE, "6-digit SMS code", True)

    def sms_credentials(self, purpose: str, msisdn: str, username: str) -> SmsCredentials:
        self._say(f"The portal sent the new web operator's user name and temporary password by SMS to {msisdn}.")
        try:
            typed_user = self._ask(f"User name in the SMS [{username}]", False).strip() or username
            password = self._ask("Temporary password in the SMS", True).strip()
        except EOFError:
            raise NeedsHumanError("The SMS credentials were not typed.", hint="Run the same command again.") from None
        if not password:
            raise NeedsHumanError("No temporary password was typed.", hint="Run the same command again.")
        return SmsCredentials(typed_user, Secret(password))


class BrowserInput(PromptInput):
    """The person types the captcha and OTP into the visible page; SMS credentials still come from the terminal."""

    name = "browser"
    in_browser = True

    def captcha(self, image_png: bytes, purpose: str) -> Secret:  # pragma: no cover - flows never call it
        raise AssertionError("the browser provider is used through the page")

    def otp(self, purpose: str, phone_hint: str) -> Secret:  # pragma: no cover - flows never call it
        raise AssertionError("the browser provider is used through the page")


class CommandInput(HumanInput):
    """Runs a user-configured program (no shell) that prints the code; its stdout is never logged.

    The program gets only the minimal environment of ``agent.helper_env.helper_environment`` (never a secret) and
    the argv the user configured: a list as given, or a string split the way this OS splits command lines.
    """

    name = "command"

    def __init__(self, argv: str | Sequence[str], timeout_s: float) -> None:
        self.argv = command_argv(argv)
        self.timeout_s = timeout_s

    @classmethod
    def from_string(cls, command: str | Sequence[str], timeout_s: float) -> CommandInput:
        """The provider for a configured command (string or list form; see ``agent.helper_env.command_argv``)."""
        return cls(command, timeout_s)

    def _run(self, want: str, extra: dict[str, str], phone_hint: str = "") -> str:
        env = helper_environment(want, phone_hint=phone_hint, extra=extra)
        try:
            result = subprocess.run(
                self.argv,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=self.timeout_s,
                env=env,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except FileNotFoundError:
            raise UsageError(
                f"The code command {self.argv[0]!r} was not found.",
                hint="Give the program's full path (quoted if it has spaces), or the command as a list.",
            ) from None
        except PermissionError:
            raise UsageError(
                f"The code command {self.argv[0]!r} cannot be run (permission denied).",
                hint="Make the program executable, or name the interpreter first (e.g. python3 bridge.py).",
            ) from None
        except OSError as exc:
            raise UsageError(
                f"The code command {self.argv[0]!r} could not be started ({type(exc).__name__}).",
                hint="Run it by hand to see why.",
            ) from None
        except subprocess.TimeoutExpired:
            raise NeedsHumanError(
                f"The code command gave no {want} within {self.timeout_s:.0f} s.",
                hint="Check the command (or your phone's SMS bridge), then run the same command again.",
            ) from None
        if result.returncode != 0:
            raise NeedsHumanError(
                f"The code command failed (exit {result.returncode}) when asked for the {want}.",
                hint="Run it by hand with MPESA_AGENT_WANT set to see why.",
            )
        return result.stdout

    def _code(
        self, want: str, pattern: re.Pattern[str], search: re.Pattern[str], extra: dict[str, str], phone: str = ""
    ) -> Secret:
        out = self._run(want, extra, phone).strip()
        if pattern.match(out):
            return Secret(out)
        found = search.search(out)
        if found:
            return Secret(found.group(1))
        raise NeedsHumanError(f"The code command did not print a valid {want}.")

    def captcha(self, image_png: bytes, purpose: str) -> Secret:
        path = save_private(image_png, "captcha.png")
        return self._code("captcha", CAPTCHA_RE, re.compile(r"\b(\d{4})\b"), {CAPTCHA_FILE_ENV: str(path)})

    def otp(self, purpose: str, phone_hint: str) -> Secret:
        return self._code("otp", OTP_RE, SMS_OTP_RE, {}, phone_hint)

    def sms_credentials(self, purpose: str, msisdn: str, username: str) -> SmsCredentials:
        out = self._run("sms", {}, msisdn)
        found = SMS_CREDENTIALS_RE.search(out)
        if not found:
            raise NeedsHumanError("The code command did not print an SMS with 'Username: ... Password: ...'.")
        return SmsCredentials(found.group(1), Secret(found.group(2)))


def is_loopback_url(url: str) -> bool:
    """True when ``url`` names this computer: ``localhost``, 127.0.0.0/8 or ``::1`` (``127.x.evil.example`` is not)."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_ask(prompt: str, hidden: bool) -> str:
    """Read a line from the terminal (hidden for secrets); EOFError when there is no input."""
    if hidden:
        import getpass

        if not sys.stdin or not sys.stdin.isatty():
            line = sys.stdin.readline() if sys.stdin else ""
            if not line:
                raise EOFError
            return line.rstrip("\n")
        return getpass.getpass(prompt + ": ")
    sys.stderr.write(prompt + ": ")
    sys.stderr.flush()
    line = sys.stdin.readline() if sys.stdin else ""
    if not line:
        raise EOFError
    return line.rstrip("\n")


def default_say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class CombinedInput(HumanInput):
    """The captcha from one provider, the SMS codes and credentials from another."""

    def __init__(self, captcha: HumanInput, sms: HumanInput) -> None:
        self._captcha, self._sms = captcha, sms
        self.name = f"{captcha.name}+{sms.name}"

    @property
    def captcha_in_browser(self) -> bool:
        return self._captcha.in_browser

    @property
    def otp_in_browser(self) -> bool:
        return self._sms.in_browser

    def captcha(self, image_png: bytes, purpose: str) -> Secret:
        return self._captcha.captcha(image_png, purpose)

    def otp(self, purpose: str, phone_hint: str) -> Secret:
        return self._sms.otp(purpose, phone_hint)

    def sms_credentials(self, purpose: str, msisdn: str, username: str) -> SmsCredentials:
        return self._sms.sms_credentials(purpose, msisdn, username)


def make_inputs(
    captcha_kind: str,
    otp_kind: str,
    *,
    portal_url: str,
    captcha_command: str | Sequence[str] = "",
    otp_command: str | Sequence[str] = "",
    timeout_s: float = 300,
    ask: Callable[[str, bool], str] = default_ask,
    say: Callable[[str], None] = default_say,
    extra_kinds: Mapping[str, InputFactory] | None = None,
) -> HumanInput:
    """The providers for the captcha and for SMS codes, combined when they differ (``extra_kinds``: see make_human)."""
    captcha = make_human(
        captcha_kind,
        portal_url=portal_url,
        command=captcha_command,
        timeout_s=timeout_s,
        ask=ask,
        say=say,
        extra_kinds=extra_kinds,
    )
    if otp_kind == captcha_kind and otp_command == captcha_command:
        return captcha
    sms = make_human(
        otp_kind,
        portal_url=portal_url,
        command=otp_command,
        timeout_s=timeout_s,
        ask=ask,
        say=say,
        extra_kinds=extra_kinds,
    )
    return CombinedInput(captcha, sms)


def make_human(
    kind: str,
    *,
    portal_url: str,
    command: str | Sequence[str] = "",
    timeout_s: float = 300,
    ask: Callable[[str, bool], str] = default_ask,
    say: Callable[[str], None] = default_say,
    extra_kinds: Mapping[str, InputFactory] | None = None,
) -> HumanInput:
    """The provider named ``kind``: "prompt", "browser", "command", or one of ``extra_kinds``.

    ``extra_kinds`` maps more provider names to factories taking the portal URL; the CLI passes
    ``agent.sandbox.input.INPUT_KINDS`` for "sandbox", so this module never imports the sandbox.
    """
    if kind == "prompt":
        return PromptInput(ask, say)
    if kind == "browser":
        return BrowserInput(ask, say)
    if kind == "command":
        return CommandInput.from_string(command, timeout_s)
    extra = dict(extra_kinds or {})
    if kind in extra:
        return extra[kind](portal_url)
    names = ", ".join(["prompt", "browser", "command", *sorted(extra)])
    if kind == "sandbox":
        raise UsageError(
            "The sandbox input provider is not available to this command.",
            hint=f"Use one of: {names}. The sandbox provider works with `mpesa-agent demo` and the local sandbox.",
        )
    raise UsageError(f"Unknown input provider '{kind}'.", hint=f"Use one of: {names}.")
