"""A small client for the sandbox's ``/__sim/`` control surface (tests and the demo only; see ``control.py``).

Every call has a timeout; errors become ``SandboxControlError`` with the server's message. Long waits (for an SMS or a
new captcha) are done by the server (``wait=``), so nothing here sleeps or polls.
"""

from __future__ import annotations

import re
from typing import Any

import requests

OTP_RE = re.compile(r"\b(\d{6})\b")
CREDENTIALS_RE = re.compile(r"Username:\s*(\S+)\s+Password:\s*(\S+)")


class SandboxControlError(RuntimeError):
    """The control surface answered with an error (or not at all)."""


class SandboxControl:
    """``SandboxControl("http://127.0.0.1:PORT")``: read SMS and captchas, seed, move the clock, inject faults."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()

    def _call(self, method: str, path: str, *, wait: float = 0.0, **kwargs: Any) -> Any:
        try:
            response = self._http.request(
                method, f"{self.base_url}/__sim/{path}", timeout=self.timeout + wait, **kwargs
            )
        except requests.RequestException as exc:
            raise SandboxControlError(f"the sandbox control surface did not answer: {exc}") from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            message = data.get("error") if isinstance(data, dict) else response.text[:200]
            raise SandboxControlError(f"{method} /__sim/{path}: HTTP {response.status_code}: {message}")
        return data

    def close(self) -> None:
        self._http.close()

    def ping(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "ping")
        return result

    def sms(
        self, msisdn: str | None = None, *, kind: str | None = None, after: int = 0, wait: float = 0.0
    ) -> list[dict[str, Any]]:
        """SMS in the outbox (oldest first), optionally for one MSISDN/kind, newer than ``after``; ``wait`` seconds
        for at least one to exist."""
        params: dict[str, Any] = {"after": after, "wait": wait}
        if msisdn:
            params["msisdn"] = msisdn
        if kind:
            params["kind"] = kind
        messages: list[dict[str, Any]] = self._call("GET", "sms", params=params, wait=wait)["messages"]
        return messages

    def email(self, address: str | None = None, *, kind: str | None = None, after: int = 0) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"after": after}
        if address:
            params["address"] = address
        if kind:
            params["kind"] = kind
        messages: list[dict[str, Any]] = self._call("GET", "email", params=params)["messages"]
        return messages

    def last_message_id(self) -> int:
        """The id of the newest SMS (0 if none): pass it as ``after`` to wait for the next one."""
        messages = self.sms()
        return int(messages[-1]["id"]) if messages else 0

    def wait_for_otp(self, msisdn: str, *, after: int = 0, wait: float = 10.0) -> str:
        """The 6-digit login OTP of the newest LOGIN_OTP SMS to ``msisdn`` with id > ``after``."""
        messages = self.sms(msisdn, kind="LOGIN_OTP", after=after, wait=wait)
        if not messages:
            raise SandboxControlError(f"no OTP SMS reached {msisdn} within {wait:g} s")
        found = OTP_RE.search(messages[-1]["text"])
        if found is None:
            raise SandboxControlError("the OTP SMS holds no 6-digit code")
        return found.group(1)

    def wait_for_credentials(
        self, msisdn: str, *, kind: str = "WEB_OPERATOR_CREATED", after: int = 0, wait: float = 10.0
    ) -> tuple[str, str]:
        """(username, temporary password) from the newest such SMS to ``msisdn``."""
        messages = self.sms(msisdn, kind=kind, after=after, wait=wait)
        if not messages:
            raise SandboxControlError(f"no {kind} SMS reached {msisdn} within {wait:g} s")
        found = CREDENTIALS_RE.search(messages[-1]["text"])
        if found is None:
            raise SandboxControlError("the SMS holds no Username/Password")
        return found.group(1), found.group(2)

    def captcha_info(self, session: str | None = None, *, after: int = 0, wait: float = 0.0) -> dict[str, Any]:
        """``{"code", "session", "seq", "issued_at"}`` of the captcha a session (or the latest one) shows."""
        params: dict[str, Any] = {"after": after, "wait": wait}
        if session:
            params["session"] = session
        info: dict[str, Any] = self._call("GET", "captcha", params=params, wait=wait)
        return info

    def captcha(self, session: str | None = None, *, after: int = 0, wait: float = 5.0) -> str:
        """The 4-digit code the session's (or the latest) captcha image shows."""
        return str(self.captcha_info(session, after=after, wait=wait)["code"])

    def reset(self, *, seed: bool = True) -> None:
        self._call("POST", "reset", json={"seed": seed})

    def seed(self, spec: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """Apply a seed (see ``seed.py``): ``seed(extras=["manager"])`` or ``seed({...})``."""
        result: dict[str, Any] = self._call("POST", "seed", json={**(spec or {}), **fields})
        return result

    def advance_clock(self, *, seconds: float = 0, days: float = 0) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "clock", json={"seconds": seconds, "days": days})
        return result

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "state")
        return result

    def operator(self, username: str) -> dict[str, Any]:
        """One operator's JSON from ``state()`` by user name."""
        for org in self.state()["orgs"]:
            for op in org["operators"]:
                if op["username"] == username:
                    found: dict[str, Any] = op
                    return found
        raise SandboxControlError(f"no operator named {username!r} in the sandbox")

    def settings(self, **values: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST" if values else "GET", "settings", json=values or None)
        return result

    def fault(self, kind: str, **params: Any) -> dict[str, Any]:
        """Add a fault (``latency``, ``error_after_commit``, ``drop_after_commit``, ``rename_label``), or act
        (``expire_sessions``, ``clear``)."""
        result: dict[str, Any] = self._call("POST", "fault", json={"kind": kind, **params})
        return result

    def clear_faults(self) -> None:
        self.fault("clear")

    def markup(self, spec: str | None = None) -> str:
        """The markup spec the pages are built with; with ``spec`` (e.g. "grid-div,confirm"), switch to it first."""
        result: dict[str, Any] = self._call(
            "POST" if spec is not None else "GET", "markup", json=({"markup": spec} if spec is not None else None)
        )
        return str(result["markup"])
