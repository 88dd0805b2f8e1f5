"""An HTTP-level "browser" for the sandbox portal's tests: a Flask test client that keeps its JSESSIONID cookie and
knows how to read the captcha and OTP from the control surface, log in, and walk the wizard."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from agent.sandbox.portal import ADMIN_MSISDN, ADMIN_PASSWORD, ADMIN_USERNAME, SHORTCODE

OTP_RE = re.compile(r"\b(\d{6})\b")
CREDENTIALS_RE = re.compile(r"Username:\s*(\S+)\s+Password:\s*(\S+)")


class PortalBrowser:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.http = app.test_client()

    # -- control surface
    def sim(self, path: str, **params: Any) -> Any:
        response = self.http.get(f"/__sim/{path}", query_string=params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json

    def sim_post(self, path: str, body: dict[str, Any]) -> TestResponse:
        return self.http.post(f"/__sim/{path}", json=body)

    def session_id(self) -> str | None:
        cookie = self.http.get_cookie("JSESSIONID")
        return cookie.value if cookie else None

    def captcha(self) -> str:
        """Load the captcha image (as the login page does) and read the code this session now shows."""
        image = self.http.get("/verifycode.action?ts=1")
        assert image.status_code == 200
        assert image.mimetype == "image/png"
        assert image.data.startswith(b"\x89PNG")
        return str(self.sim("captcha", session=self.session_id())["code"])

    def sms(self, msisdn: str, kind: str | None = None) -> list[dict[str, Any]]:
        params = {"msisdn": msisdn} | ({"kind": kind} if kind else {})
        messages: list[dict[str, Any]] = self.sim("sms", **params)["messages"]
        return messages

    def latest_otp(self, msisdn: str) -> str:
        messages = self.sms(msisdn, "LOGIN_OTP")
        assert messages, f"no OTP SMS to {msisdn}"
        found = OTP_RE.search(messages[-1]["text"])
        assert found
        return found.group(1)

    def credentials(self, msisdn: str, kind: str = "WEB_OPERATOR_CREATED") -> tuple[str, str]:
        messages = self.sms(msisdn, kind)
        assert messages, f"no {kind} SMS to {msisdn}"
        found = CREDENTIALS_RE.search(messages[-1]["text"])
        assert found
        return found.group(1), found.group(2)

    # -- login
    def submit_login(
        self,
        username: str = ADMIN_USERNAME,
        password: str = ADMIN_PASSWORD,
        *,
        shortcode: str = SHORTCODE,
        code: str | None = None,
    ) -> TestResponse:
        self.http.get("/orglogin.action")
        code = self.captcha() if code is None else code
        return self.http.post(
            "/orglogin.action",
            data={
                "language": "English",
                "shortcode": shortcode,
                "username": username,
                "password": password,
                "verification_code": code,
            },
        )

    def submit_otp(self, otp: str) -> TestResponse:
        return self.http.post("/otp.action", data={"otp": otp, "action": "submit"})

    def login(
        self, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD, msisdn: str = ADMIN_MSISDN
    ) -> TestResponse:
        """Captcha + password + OTP; returns the OTP step's redirect (to /home.action or /changePassword.action)."""
        response = self.submit_login(username, password)
        assert response.status_code == 302, page_text(response)
        assert response.location.endswith("/otp.action")
        response = self.submit_otp(self.latest_otp(msisdn))
        assert response.status_code == 302, page_text(response)
        return response

    def change_password(
        self,
        old: str,
        new: str,
        confirm: str | None = None,
        questions: tuple[str, str] | None = ("What is your favourite food?", "In which town were you born?"),
        answers: tuple[str, str] = ("Ugali", "Kisumu"),
    ) -> TestResponse:
        data = {"old_password": old, "new_password": new, "confirm_password": new if confirm is None else confirm}
        if questions:
            data |= {"question1": questions[0], "answer1": answers[0], "question2": questions[1], "answer2": answers[1]}
        return self.http.post("/changePassword.action", data=data | {"action": "submit"})

    # -- the wizard
    def wizard_step(self, step: str, **data: Any) -> TestResponse:
        return self.http.post(f"/operator/create.action?step={step}", data=data)

    def create_operator(
        self,
        *,
        channels: list[str],
        username: str,
        roles: list[str],
        first_name: str = "Ann",
        last_name: str = "Njeri",
        id_number: str = "23456789",
        msisdn: str = "254712000001",
        notification_channel: str = "SMS",
        email: str = "",
    ) -> TestResponse:
        """Walk Identity Info → Assign → KYC Info → Review → Submit; returns the Submit response."""
        assert self.http.get("/operator/create.action").status_code == 302
        steps: list[tuple[str, dict[str, Any]]] = [
            ("identity", {"language": "English (Kenya)", "channel": channels, "username": username, "action": "next"}),
            ("assign", {"rule_profile": "Web Operator Rule Profile", "role": roles, "action": "add_roles"}),
            ("assign", {"rule_profile": "Web Operator Rule Profile", "action": "next"}),
            (
                "kyc",
                {
                    "first_name": first_name,
                    "last_name": last_name,
                    "ids.0.id_type": "National ID",
                    "ids.0.number": id_number,
                    "notification_channel": notification_channel,
                    "notification_msisdn": msisdn,
                    "notification_email": email,
                    "action": "next",
                },
            ),
        ]
        for step, data in steps:
            response = self.wizard_step(step, **data)
            assert response.status_code in (200, 302), page_text(response)
            if data["action"] == "next":
                assert response.status_code == 302, f"{step}: {page_text(response)}"
        return self.wizard_step("review", action="submit")

    # -- pages
    def operator_id(self, username: str) -> str:
        for org in self.sim("state")["orgs"]:
            for op in org["operators"]:
                if op["username"] == username:
                    return str(op["identity_id"])
        raise AssertionError(f"no operator {username}")

    def operator(self, username: str) -> dict[str, Any]:
        for org in self.sim("state")["orgs"]:
            for op in org["operators"]:
                if op["username"] == username:
                    found: dict[str, Any] = op
                    return found
        raise AssertionError(f"no operator {username}")

    def logout(self) -> None:
        self.http.post("/logout.action")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def page_text(response: TestResponse) -> str:
    """The visible text of an HTML response, whitespace-normalised (for 'shows this message' checks)."""
    parser = _Text()
    parser.feed(response.get_data(as_text=True))
    return " | ".join(parser.parts)
