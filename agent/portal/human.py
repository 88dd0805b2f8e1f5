"""Human input providers for the captcha, the SMS OTP and the new web operator's SMS credentials.

We never solve captchas. A person supplies every code through one of these providers:

* ``prompt``: this terminal. The captcha image is drawn in the terminal (block characters) and saved to a private
  file; the OTP and the SMS password are read with hidden input.
* ``browser``: the person types into the visible (``--headed``) page; the automation waits for the next screen.
* ``command``: a program the user configured prints the code (e.g. an SMS bridge). It runs without a shell, with
  ``MPESA_AGENT_WANT`` set to ``captcha``, ``otp`` or ``sms`` (and ``MPESA_AGENT_CAPTCHA_FILE`` for the image).
* ``sandbox``: reads the embedded sandbox's control surface; refused for any portal that is not a sandbox on
  loopback.

Codes are checked for form (4 digits, 6 digits) before use; a person who does not answer in time gets exit 3.
"""

from __future__ import annotations

import abc
import dataclasses
import io
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from agent import settings
from agent.errors import NeedsHumanError, UsageError
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
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
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
                    hint="Run the command in a terminal, or choose another provider (--codes-from command).",
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
    """Runs a user-configured program (no shell) that prints the code; its stdout is never logged."""

    name = "command"

    def __init__(self, argv: list[str], timeout_s: float) -> None:
        if not argv:
            raise UsageError(
                "The command provider needs a program to run.",
                hint="Set otp_command / captcha_command in the configuration file, or pass --codes-command.",
            )
        self.argv = argv
        self.timeout_s = timeout_s

    @classmethod
    def from_string(cls, command: str, timeout_s: float) -> CommandInput:
        return cls(shlex.split(command, posix=(os.name != "nt")), timeout_s)

    def _run(self, want: str, extra: dict[str, str]) -> str:
        env = {**os.environ, "MPESA_AGENT_WANT": want, **extra}
        try:
            result = subprocess.run(
                self.argv,
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                env=env,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except FileNotFoundError:
            raise UsageError(f"The code command {self.argv[0]!r} was not found.") from None
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

    def _code(self, want: str, pattern: re.Pattern[str], search: re.Pattern[str], extra: dict[str, str]) -> Secret:
        out = self._run(want, extra).strip()
        if pattern.match(out):
            return Secret(out)
        found = search.search(out)
        if found:
            return Secret(found.group(1))
        raise NeedsHumanError(f"The code command did not print a valid {want}.")

    def captcha(self, image_png: bytes, purpose: str) -> Secret:
        path = save_private(image_png, "captcha.png")
        return self._code("captcha", CAPTCHA_RE, re.compile(r"\b(\d{4})\b"), {"MPESA_AGENT_CAPTCHA_FILE": str(path)})

    def otp(self, purpose: str, phone_hint: str) -> Secret:
        return self._code("otp", OTP_RE, SMS_OTP_RE, {"MPESA_AGENT_PHONE": phone_hint})

    def sms_credentials(self, purpose: str, msisdn: str, username: str) -> SmsCredentials:
        out = self._run("sms", {"MPESA_AGENT_PHONE": msisdn})
        found = SMS_CREDENTIALS_RE.search(out)
        if not found:
            raise NeedsHumanError("The code command did not print an SMS with 'Username: ... Password: ...'.")
        return SmsCredentials(found.group(1), Secret(found.group(2)))


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


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


class SandboxInput(HumanInput):
    """Reads captchas and SMS from the embedded sandbox's control surface (demo and tests only).

    Refused for any portal that is not a sandbox on loopback: on the real portal a person supplies every code.
    """

    name = "sandbox"

    def __init__(self, portal_url: str, *, wait_s: float = 15.0) -> None:
        from agent.sandbox.portal.client import SandboxControl, SandboxControlError

        if not is_loopback_url(portal_url):
            raise UsageError(
                f"The sandbox input provider only works with the local sandbox portal, not {portal_url}.",
                hint="On a real portal use --captcha-from/--codes-from prompt, browser or command.",
            )
        self._control = SandboxControl(portal_url)
        self._error = SandboxControlError
        self._wait = wait_s
        try:
            ping = self._control.ping()
        except SandboxControlError:
            ping = {}
        if not ping.get("sandbox"):
            raise UsageError(
                f"{portal_url} is not a sandbox portal in demo/test mode (its control surface did not answer).",
                hint="Start it with: mpesa-agent sandbox",
            )
        self._mark = self._control.last_message_id()

    def captcha(self, image_png: bytes, purpose: str) -> Secret:
        self._mark = self._control.last_message_id()
        try:
            return Secret(self._control.captcha(wait=self._wait))
        except self._error as exc:
            raise NeedsHumanError(f"The sandbox did not show a verification code ({exc}).") from None

    def otp(self, purpose: str, phone_hint: str) -> Secret:
        try:
            messages = self._control.sms(kind="LOGIN_OTP", after=self._mark, wait=self._wait)
        except self._error as exc:
            raise NeedsHumanError(f"The sandbox sent no SMS code ({exc}).") from None
        found = SMS_OTP_RE.search(messages[-1]["text"]) if messages else None
        if found is None:
            raise NeedsHumanError("The sandbox sent no SMS code.")
        self._mark = int(messages[-1]["id"])
        return Secret(found.group(1))

    def sms_credentials(self, purpose: str, msisdn: str, username: str) -> SmsCredentials:
        try:
            messages = self._control.sms(msisdn, kind="WEB_OPERATOR_CREATED", wait=self._wait)
        except self._error as exc:
            raise NeedsHumanError(f"The sandbox sent no SMS to {msisdn} ({exc}).") from None
        for message in reversed(messages):
            found = SMS_CREDENTIALS_RE.search(message["text"])
            if found and found.group(1).lower() == username.lower():
                return SmsCredentials(found.group(1), Secret(found.group(2)))
        raise NeedsHumanError(f"No SMS with the credentials of {username} reached {msisdn} in the sandbox.")


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
    captcha_command: str = "",
    otp_command: str = "",
    timeout_s: float = 300,
    ask: Callable[[str, bool], str] = default_ask,
    say: Callable[[str], None] = default_say,
) -> HumanInput:
    """The providers for the captcha and for SMS codes, combined when they differ."""
    captcha = make_human(
        captcha_kind, portal_url=portal_url, command=captcha_command, timeout_s=timeout_s, ask=ask, say=say
    )
    if otp_kind == captcha_kind and otp_command == captcha_command:
        return captcha
    sms = make_human(otp_kind, portal_url=portal_url, command=otp_command, timeout_s=timeout_s, ask=ask, say=say)
    return CombinedInput(captcha, sms)


def make_human(
    kind: str,
    *,
    portal_url: str,
    command: str = "",
    timeout_s: float = 300,
    ask: Callable[[str, bool], str] = default_ask,
    say: Callable[[str], None] = default_say,
) -> HumanInput:
    """The provider named ``kind`` ("prompt", "browser", "command" or "sandbox")."""
    if kind == "prompt":
        return PromptInput(ask, say)
    if kind == "browser":
        return BrowserInput(ask, say)
    if kind == "command":
        return CommandInput.from_string(command, timeout_s)
    if kind == "sandbox":
        return SandboxInput(portal_url)
    raise UsageError(f"Unknown input provider '{kind}'.", hint="Use prompt, browser, command or sandbox.")
