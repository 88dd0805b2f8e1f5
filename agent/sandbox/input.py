"""The ``sandbox`` input provider: captchas and SMS read from the embedded sandbox portal's control surface.

What belongs here: the agent-side glue between ``agent.portal.human.HumanInput`` and the sandbox's control client
(``agent.sandbox.portal.client``), used by ``mpesa-agent demo``, ``--captcha-from sandbox`` and the tests. It lives
beside the sandbox so that ``agent.portal`` never imports the sandbox; ``make_human``/``make_inputs`` reach it
through ``extra_kinds=INPUT_KINDS``. The sandbox portal itself still knows nothing of the agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from agent.errors import NeedsHumanError, UsageError
from agent.portal.human import (
    SMS_CREDENTIALS_RE,
    SMS_OTP_RE,
    HumanInput,
    InputFactory,
    SmsCredentials,
    is_loopback_url,
)
from agent.sandbox.portal.client import SandboxControl, SandboxControlError
from agent.secret import Secret


class SandboxInput(HumanInput):
    """Reads captchas and SMS from the embedded sandbox's control surface (demo and tests only).

    Refused for any portal that is not a sandbox on loopback: on the real portal a person supplies every code.
    """

    name = "sandbox"

    def __init__(self, portal_url: str, *, wait_s: float = 15.0) -> None:
        if not is_loopback_url(portal_url):
            raise UsageError(
                f"The sandbox input provider only works with the local sandbox portal, not {portal_url}.",
                hint="On a real portal use --captcha-from / --codes-from prompt, browser or command.",
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


#: The extra provider kinds for ``agent.portal.human.make_human(..., extra_kinds=INPUT_KINDS)``.
INPUT_KINDS: Final[Mapping[str, InputFactory]] = {"sandbox": SandboxInput}
