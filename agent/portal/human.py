"""Human input providers for the captcha, the SMS OTP and the new web operator's SMS credentials.

We never solve captchas. A person supplies every code through one of these providers:

* ``prompt``: this terminal. The captcha image is saved to a private file (0600) and the person is told to open it
  first; it is also drawn in the terminal when the drawing is legible (``agent.portal.captcha_render``). The
  captcha and the SMS code are echoed (one-time codes read off a picture or a phone); passwords are hidden. Each
  answer is checked as it is typed (4 digits, 6 digits, the portal's password rules) and asked again at once, with
  the reason, a bounded number of times. When standard input is not a terminal (``--admin-password-stdin``), the
  questions go to the controlling terminal (``agent.tty``).
* ``browser``: the person types into the visible (``--headed``) page; the automation waits for the next screen.
* ``command``: a program the user configured prints the code (e.g. an SMS bridge). It runs without a shell, with
  a minimal environment (``agent.helper_env``: no secret ever) where ``MPESA_AGENT_WANT`` is ``captcha``, ``otp``
  or ``sms`` (plus ``MPESA_AGENT_CAPTCHA_FILE`` for the image, a masked ``MPESA_AGENT_PHONE``,
  ``MPESA_AGENT_REQUEST_ID``, and ``MPESA_AGENT_RETRY=1`` after the portal refused its last answer of that kind).
  The command is a list, or a string split the way the OS splits command lines.
* ``sandbox``: reads the embedded sandbox's control surface; it lives in ``agent.sandbox.input`` (this package
  never imports the sandbox) and reaches ``make_human`` through ``extra_kinds``.

The flows tell the provider when the portal refused an answer (``HumanInput.refused``), so the person hears that a
new captcha or SMS code is coming, or which look-alike characters to check in a temporary password. A person who
does not answer in time (or at all) gets exit 3.
"""

from __future__ import annotations

import abc
import dataclasses
import hmac
import ipaddress
import logging
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

from agent import settings
from agent.errors import NeedsHumanError, UsageError, ValidationError
from agent.helper_env import CAPTCHA_FILE_ENV, RETRY_ENV, command_argv, helper_environment, mask_phone
from agent.portal.captcha_render import Terminal, detect_terminal, draw_captcha
from agent.secret import Secret

log = logging.getLogger(__name__)

CAPTCHA_LENGTH: Final = 4  # reference §4.1: exactly 4 numeric digits
OTP_LENGTH: Final = 6  # reference §12: 6 digits by SMS
CAPTCHA_RE = re.compile(r"^\d{4}$")
OTP_RE = re.compile(r"^\d{6}$")
SMS_OTP_RE = re.compile(r"\b(\d{6})\b")
SMS_CREDENTIALS_RE = re.compile(r"Username:\s*(\S+)\s+Password:\s*(\S+)")
#: How many times the prompt provider asks for one answer before giving up (exit 3).
ASK_TRIES: Final = 3
#: Characters people mix up when they copy a temporary password from an SMS.
LOOKALIKES: Final = "0/O, 1/l/I, 5/S, 8/B, rn/m"
#: Letters typed for the digit they resemble (a captcha and an SMS code are digits only).
_DIGIT_LOOKALIKES: Final = {"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "i": "1", "Z": "2", "S": "5",
                            "s": "5", "G": "6", "b": "6", "T": "7", "B": "8", "g": "9", "q": "9"}  # fmt: skip

RefusedKind = Literal["captcha", "otp", "sms_password"]
_WANT_OF: Final[Mapping[str, str]] = {"captcha": "captcha", "otp": "otp", "sms_password": "sms"}


@dataclasses.dataclass(frozen=True)
class SmsCredentials:
    username: str
    password: Secret = dataclasses.field(repr=False)


def refused_message(kind: RefusedKind, attempt: int, *, phone_hint: str = "", resent: bool = True) -> str:
    """What to tell the person when the portal refused the ``attempt``-th answer of ``kind`` (never the answer)."""
    if kind == "captcha":
        return f"The portal refused the verification code (try {attempt}); a new picture is coming."
    if kind == "otp":
        if resent:
            to = f" to {mask_phone(phone_hint)}" if phone_hint else ""
            return f"The portal refused the SMS code (try {attempt}); it is sending a new one{to}."
        return f"The portal refused the SMS code (try {attempt}); check it against the newest SMS from M-PESA."
    if kind == "sms_password":
        return (
            f"The portal refused the temporary password from the SMS (try {attempt}). It is case-sensitive; check "
            f"the characters that look alike: {LOOKALIKES}."
        )
    raise ValueError(f"unknown refusal kind {kind!r}")


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

    def refused(self, kind: RefusedKind, attempt: int, *, phone_hint: str = "", resent: bool = True) -> None:
        """The portal refused the ``attempt``-th answer of ``kind``; the next question for it is a retry.

        ``kind``: ``"captcha"`` (a new picture follows), ``"otp"`` (with ``resent`` when the flow asked the portal
        for a new SMS; ``phone_hint`` the masked number it goes to) or ``"sms_password"`` (the temporary password
        from the web operator's SMS). Providers tell the person (prompt, browser), pass the fact to their program
        (command: ``MPESA_AGENT_RETRY=1``) or just log it (this default).
        """
        log.info("%s", refused_message(kind, attempt, phone_hint=phone_hint, resent=resent))


#: Builds a provider for the portal at the given URL (``make_human``'s ``extra_kinds``).
InputFactory = Callable[[str], HumanInput]


# --- checking answers as they are typed --------------------------------------------------------------------------


def normalise_code(text: str) -> str:
    """A typed code without spaces or dashes, full-width digits made ASCII (``"１２３ ４５６"`` → ``"123456"``)."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text))


def code_problem(answer: str, length: int, what: str) -> str | None:
    """Why ``answer`` (normalised) is not a code of ``length`` digits, or None when it is one."""
    if not answer:
        return "Nothing was typed."
    if re.fullmatch(r"[0-9]+", answer):
        if len(answer) == length:
            return None
        return f"The {what} has {length} digits; that was {len(answer)}."
    letters = [ch for ch in answer if ch in _DIGIT_LOOKALIKES]
    if letters:
        tips = ", ".join(f"{_DIGIT_LOOKALIKES[ch]} not {ch}" for ch in dict.fromkeys(letters))
        return f"The {what} is digits only ({tips})."
    return f"The {what} is digits only (0-9)."


def captcha_problem(answer: str) -> str | None:
    """Why ``answer`` is not a verification code (exactly 4 digits, reference §4.1), or None."""
    return code_problem(answer, CAPTCHA_LENGTH, "verification code")


def otp_problem(answer: str) -> str | None:
    """Why ``answer`` is not an SMS code (exactly 6 digits), or None; a 4-digit answer is probably the captcha."""
    problem = code_problem(answer, OTP_LENGTH, "SMS code")
    if problem and re.fullmatch(r"[0-9]{4}", answer):
        problem += " The 4-digit code is the picture's; the SMS code comes by SMS."
    return problem


def temporary_password_problem(password: str) -> str | None:
    """Why ``password`` cannot be a portal password (reference §10: ``agent.passwords``' rules), or None."""
    from agent import passwords

    if not password:
        return "Nothing was typed."
    try:
        passwords.check_password(password, for_rest=False)
    except ValidationError as exc:
        reason = exc.message.removeprefix("The password does not meet the rules: ")
        return f"That is not a password the portal would have sent: {reason}"
    return None


# ---------------------------------------------------------------------------------------------------------------


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
    """Asks the person at the terminal. ``ask(prompt, hidden)``, ``say(text)`` and ``terminal()`` (what the
    drawing's terminal can show) are injectable for tests."""

    name = "prompt"

    def __init__(
        self,
        ask: Callable[[str, bool], str],
        say: Callable[[str], None],
        *,
        terminal: Callable[[], Terminal] = detect_terminal,
    ) -> None:
        self._ask = ask
        self._say = say
        self._terminal = terminal
        self._retry: dict[str, int] = {}
        self._sms_username = ""

    def refused(self, kind: RefusedKind, attempt: int, *, phone_hint: str = "", resent: bool = True) -> None:
        self._retry[kind] = attempt
        self._say(refused_message(kind, attempt, phone_hint=phone_hint, resent=resent))

    def _typed(self, prompt: str, hidden: bool, what: str) -> str:
        try:
            return self._ask(prompt, hidden)
        except EOFError:
            raise NeedsHumanError(
                f"No {what} was typed (the input was closed).",
                hint="Run the command in a terminal, or let a program supply the codes: --codes-from command "
                "--codes-command PROGRAM.",
            ) from None

    def _code(self, prompt: str, problem: Callable[[str], str | None], what: str) -> Secret:
        """A one-time code, echoed, asked again at once (with the reason) while it has the wrong shape."""
        for _ in range(ASK_TRIES):
            answer = normalise_code(self._typed(prompt, False, what))
            reason = problem(answer)
            if reason is None:
                return Secret(answer)
            self._say(f"{reason} Type it again.")
        raise NeedsHumanError(f"No valid {what} after {ASK_TRIES} tries.", hint="Run the same command again.")

    def _show_captcha(self, image_png: bytes, purpose: str, retry: bool) -> None:
        path = save_private(image_png, "captcha.png")
        which = "new verification code" if retry else "verification code"
        self._say(f"Open the image at {path} to read the {which} for the {purpose}.")
        try:
            drawing = draw_captcha(image_png, self._terminal())
        except Exception as exc:  # noqa: BLE001 - the saved image is what counts; a drawing is a convenience
            log.debug("captcha drawing failed: %s", type(exc).__name__)
            self._say("(Not drawn here: the drawing failed; the saved image is complete.)")
            return
        if drawing.text is None:
            self._say(f"(Not drawn here: {drawing.reason}.)")
        else:
            self._say(drawing.text)

    def captcha(self, image_png: bytes, purpose: str) -> Secret:
        retry = bool(self._retry.pop("captcha", 0))
        self._show_captcha(image_png, purpose, retry)
        return self._code(f"Verification code ({CAPTCHA_LENGTH} digits)", captcha_problem, "verification code")

    def otp(self, purpose: str, phone_hint: str) -> Secret:
        if self._retry.pop("otp", 0):
            prompt = f"New SMS code ({OTP_LENGTH} digits)"
        else:
            self._say(f"The portal sent an SMS code to {phone_hint} for the {purpose}.")
            prompt = f"SMS code ({OTP_LENGTH} digits)"
        return self._code(prompt, otp_problem, "SMS code")

    def _sms_user(self, username: str) -> str:
        typed_before = ""
        for _ in range(ASK_TRIES):
            typed = self._typed(f"User name in the SMS [{username}]", False, "user name").strip() or username
            if typed.lower() == username.lower() or typed == typed_before:
                return typed
            self._say(
                f"setup created the operator {username}, so the SMS should name it. Press Enter for {username}, "
                f"or type {typed} again to use it as typed."
            )
            typed_before = typed
        raise NeedsHumanError(f"No user name after {ASK_TRIES} tries.", hint="Run the same command again.")

    def _sms_password(self, retry: bool) -> Secret:
        prompt = "Temporary password in the SMS (hidden, case-sensitive)"
        if retry:
            prompt = "Temporary password again, exactly as in the SMS (hidden, case-sensitive)"
        typed_before = ""
        for _ in range(ASK_TRIES):
            password = self._typed(prompt, True, "temporary password").strip()
            reason = temporary_password_problem(password)
            if reason is None or (password and hmac.compare_digest(password, typed_before)):
                return Secret(password)
            if password:
                self._say(f"{reason} Type it again as in the SMS, or type the same again to use it as typed.")
            else:
                self._say(f"{reason} Type the temporary password from the SMS.")
            typed_before = password
        raise NeedsHumanError(f"No temporary password after {ASK_TRIES} tries.", hint="Run the same command again.")

    def sms_credentials(self, purpose: str, msisdn: str, username: str) -> SmsCredentials:
        retry = bool(self._retry.pop("sms_password", 0))
        if retry and self._sms_username:
            typed_user = self._sms_username  # the portal refused the password, not the name
        else:
            self._say(f"The portal sent the new web operator's user name and temporary password by SMS to {msisdn}.")
            typed_user = self._sms_user(username)
        self._sms_username = typed_user
        return SmsCredentials(typed_user, self._sms_password(retry))


class BrowserInput(PromptInput):
    """The person types the captcha and OTP into the visible page; SMS credentials still come from the terminal."""

    name = "browser"
    in_browser = True

    def captcha(self, image_png: bytes, purpose: str) -> Secret:  # pragma: no cover - flows never call it
        raise AssertionError("the browser provider is used through the page")

    def otp(self, purpose: str, phone_hint: str) -> Secret:  # pragma: no cover - flows never call it
        raise AssertionError("the browser provider is used through the page")

    def refused(self, kind: RefusedKind, attempt: int, *, phone_hint: str = "", resent: bool = True) -> None:
        if kind == "sms_password":
            super().refused(kind, attempt, phone_hint=phone_hint, resent=resent)
            return
        what = "new verification code" if kind == "captcha" else "new SMS code" if resent else "SMS code again"
        self._say(
            refused_message(kind, attempt, phone_hint=phone_hint, resent=resent)
            + f" Type the {what} in the browser window."
        )


class CommandInput(HumanInput):
    """Runs a user-configured program (no shell) that prints the code; its stdout is never logged.

    The program gets only the minimal environment of ``agent.helper_env.helper_environment`` (never a secret) and
    the argv the user configured: a list as given, or a string split the way this OS splits command lines. After a
    refusal (``refused``) its next run for that kind gets ``MPESA_AGENT_RETRY=1``; ``say`` (if given) tells the
    person watching the terminal.
    """

    name = "command"

    def __init__(
        self, argv: str | Sequence[str], timeout_s: float, *, say: Callable[[str], None] | None = None
    ) -> None:
        self.argv = command_argv(argv)
        self.timeout_s = timeout_s
        self._say = say
        self._retry: dict[str, int] = {}

    @classmethod
    def from_string(
        cls, command: str | Sequence[str], timeout_s: float, *, say: Callable[[str], None] | None = None
    ) -> CommandInput:
        """The provider for a configured command (string or list form; see ``agent.helper_env.command_argv``)."""
        return cls(command, timeout_s, say=say)

    def refused(self, kind: RefusedKind, attempt: int, *, phone_hint: str = "", resent: bool = True) -> None:
        self._retry[_WANT_OF[kind]] = attempt
        text = refused_message(kind, attempt, phone_hint=phone_hint, resent=resent)
        text += f" The code command is asked again ({RETRY_ENV}=1)."
        if self._say is None:
            log.info("%s", text)
        else:
            self._say(text)

    def _run(self, want: str, extra: dict[str, str], phone_hint: str = "") -> str:
        env = helper_environment(want, phone_hint=phone_hint, extra=extra, refused=self._retry.pop(want, 0))
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


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed or detached
        return False


def default_ask(prompt: str, hidden: bool) -> str:
    """Read a line typed at the terminal (hidden for secrets); EOFError when the input is closed.

    When standard input is not a terminal (it may be feeding ``--admin-password-stdin``), the question goes to the
    controlling terminal instead (``agent.tty.tty_ask``); with no terminal at all, ``NeedsHumanError`` (exit 3).
    """
    if not _stdin_is_terminal():
        from agent.tty import tty_ask

        return tty_ask(prompt, hidden, what=f"'{prompt}'")
    if hidden:
        import getpass

        return getpass.getpass(prompt + ": ")
    sys.stderr.write(prompt + ": ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


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

    def refused(self, kind: RefusedKind, attempt: int, *, phone_hint: str = "", resent: bool = True) -> None:
        """A refused captcha goes to the captcha's provider; a refused SMS code or password to the SMS provider."""
        target = self._captcha if kind == "captcha" else self._sms
        target.refused(kind, attempt, phone_hint=phone_hint, resent=resent)


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
        return CommandInput.from_string(command, timeout_s, say=say)
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
