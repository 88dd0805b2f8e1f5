"""The current (2025+, Vue/Element Plus-like) skin of the sandbox portal over HTTP: the app shell and its hash-route
views, the login ids and texts of reference §4.3, the 6-box OTP, the sidebar, the operator list columns (§6.2), the
wizard, Set Password (§8.2), and every control-surface knob (captcha, SMS, faults, expired sessions) on this skin."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.test import TestResponse

from agent.sandbox.portal import ADMIN_MSISDN, ADMIN_PASSWORD, ADMIN_USERNAME, SHORTCODE
from agent.sandbox.portal.app import create_app
from agent.sandbox.portal.server import RunningSandbox, start_sandbox
from agent.sandbox.portal.state import PortalState
from tests.sandbox.portal_http import CREDENTIALS_RE, OTP_RE, page_text
from tests.sandbox.test_accessibility_http import audit

pytestmark = pytest.mark.unit

V = "/orgportal/v1"
API_ROLES = ["ORG B2C API initiator", "Transaction Status query ORG API", "Balance Query ORG API"]
WEB_ROLES = ["Business Manager", "Set Restricted ORG API PASSWORD"]
MANAGER_MSISDN = "254712345678"
LIST_COLUMNS = [
    "Identity ID",
    "Org Short Code",
    "Org Name",
    "Operator ID",
    "Status",
    "User Name(MSISDN)",
    "MSISDN",
    "Role",
    "First Name",
    "Middle Name",
    "Last Name",
    "DOB",
    "Suspended",
    "Operation",
]


# ---------------------------------------------------------------------------------------------------------------
# a tiny DOM for assertions on the rendered views


@dataclasses.dataclass
class El:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    parents: tuple[El, ...] = ()

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def inside(self, tag: str = "", cls: str = "", **attrs: str) -> bool:
        return any(_matches(p, tag, cls, attrs) for p in self.parents)


def _matches(e: El, tag: str, cls: str, attrs: dict[str, str]) -> bool:
    return (
        (not tag or e.tag == tag)
        and (not cls or cls in e.classes)
        and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
    )


class _Dom(HTMLParser):
    VOID = frozenset({"input", "img", "br", "meta", "link", "hr", "col"})

    def __init__(self) -> None:
        super().__init__()
        self.all: list[El] = []
        self.open: list[El] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = El(tag, {k: v or "" for k, v in attrs}, parents=tuple(self.open))
        self.all.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


class Dom:
    def __init__(self, html: str) -> None:
        parser = _Dom()
        parser.feed(html)
        self.elements = parser.all

    def find(self, tag: str = "", cls: str = "", **attrs: str) -> list[El]:
        return [e for e in self.elements if _matches(e, tag, cls, attrs)]

    def one(self, tag: str = "", cls: str = "", **attrs: str) -> El:
        found = self.find(tag, cls, **attrs)
        assert len(found) == 1, (tag, cls, attrs, len(found))
        return found[0]

    def label_for(self, element_id: str) -> str:
        return " ".join(self.one("label", for_=element_id).text.split())

    def texts(self, tag: str = "", cls: str = "", **attrs: str) -> list[str]:
        return [" ".join(e.text.split()) for e in self.find(tag, cls, **attrs)]


# ---------------------------------------------------------------------------------------------------------------
# an HTTP "browser" for the current skin


class CurrentWeb:
    def __init__(self, app: Flask) -> None:
        self.http = app.test_client()

    def sim(self, path: str, **params: Any) -> Any:
        response = self.http.get(f"/__sim/{path}", query_string=params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json

    def sim_post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(f"/__sim/{path}", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json

    def sid(self) -> str:
        cookie = self.http.get_cookie("JSESSIONID")
        assert cookie is not None
        return cookie.value

    def view(self, route: str) -> TestResponse:
        return self.http.get(V + "/view" + route)

    def load_captcha(self, login_view: TestResponse) -> str:
        """Load the captcha image the login view shows (as the browser does) and read its code."""
        image = Dom(login_view.get_data(as_text=True)).one("img", cls="verifyCode-img-item")
        png = self.http.get(image.attrs["src"])
        assert png.status_code == 200
        assert png.mimetype == "image/png"
        assert png.data.startswith(b"\x89PNG")
        return str(self.sim("captcha", session=self.sid())["code"])

    def submit_login(
        self, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD, *, code: str | None = None
    ) -> TestResponse:
        login = self.view("/login")
        real = self.load_captcha(login)
        data = {"shortCode": SHORTCODE, "userAccount": username, "password": password}
        return self.http.post(V + "/sso/login", data=data | {"verifyCode": real if code is None else code})

    def latest(self, msisdn: str, kind: str) -> str:
        messages = self.sim("sms", msisdn=msisdn, kind=kind)["messages"]
        assert messages, f"no {kind} SMS to {msisdn}"
        return str(messages[-1]["text"])

    def submit_otp(self, otp: str) -> TestResponse:
        digits = {f"otp{i}": d for i, d in enumerate(otp)}
        return self.http.post(V + "/sso/otp", data=digits | {"action": "confirm"})

    def login(
        self, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD, msisdn: str = ADMIN_MSISDN
    ) -> TestResponse:
        response = self.submit_login(username, password)
        assert Dom(response.get_data(as_text=True)).find("form", id="OTP-form"), page_text(response)
        otp = OTP_RE.search(self.latest(msisdn, "LOGIN_OTP"))
        assert otp
        return self.submit_otp(otp.group(1))

    def wizard(self, step: str, **data: Any) -> TestResponse:
        response = self.http.post(V + "/operator/create", data={"step": step, **data})
        assert response.status_code == 200, page_text(response)
        return response

    def create_operator(self, *, channel: str, username: str, roles: list[str], msisdn: str) -> TestResponse:
        start = self.view("/search/organizationOperator/create")
        assert start.headers["X-Route"] == "/search/organizationOperator/create?step=identity"
        self.wizard("identity", language="English (Kenya)", channel=[channel], username=username, action="next")
        self.wizard("assign", rule_profile="Web Operator Rule Profile", action="add_roles", role=roles)
        self.wizard("assign", rule_profile="Web Operator Rule Profile", action="next")
        kyc = {"first_name": "Ann", "last_name": "Njeri", "ids.0.id_type": "National ID", "ids.0.number": "23456789"}
        kyc |= {"notification_channel": "SMS", "notification_msisdn": msisdn, "action": "next"}
        review = self.wizard("kyc", **kyc)
        assert review.headers["X-Route"] == "/search/organizationOperator/create?step=review", page_text(review)
        return self.wizard("review", action="submit")

    def operator(self, username: str) -> dict[str, Any]:
        for org in self.sim("state")["orgs"]:
            for op in org["operators"]:
                if op["username"] == username:
                    found: dict[str, Any] = op
                    return found
        raise AssertionError(f"no operator {username}")


@pytest.fixture
def state() -> PortalState:
    return PortalState()


@pytest.fixture
def web(state: PortalState) -> CurrentWeb:
    return CurrentWeb(create_app(state, mode="test", skin="current"))


def text_of(response: TestResponse) -> str:
    return page_text(response)


def list_rows(response: TestResponse) -> dict[str, El]:
    """The operator table's body rows by user name (the 6th column)."""
    dom = Dom(response.get_data(as_text=True))
    rows = {}
    for row in (r for r in dom.find("tr", cls="el-table__row") if r.inside("div", cls="operator-table")):
        cells = [e for e in dom.elements if e.tag == "td" and row in e.parents]
        rows[" ".join(cells[5].text.split())] = row
    return rows


def has_detail(response: TestResponse, row: El) -> bool:
    dom = Dom(response.get_data(as_text=True))
    return any(row in b.parents and " ".join(b.text.split()) == "Detail" for b in dom.find("button"))


# ---------------------------------------------------------------------------------------------------------------
# the app shell and the login


def test_the_shell_is_a_single_page_app_with_hash_routes(web: CurrentWeb) -> None:
    shell = web.http.get("/")
    assert shell.status_code == 200
    dom = Dom(shell.get_data(as_text=True))
    assert dom.one("title").text == "M-PESA Organization Portal"
    assert dom.one("div", id="app").attrs["data-view-base"] == V + "/view"
    assert dom.one("script").attrs["src"] == "/static/current/app.js"
    assert web.http.get("/static/current/app.js").status_code == 200
    assert web.http.get("/static/current/app.css").status_code == 200
    old = web.http.get("/orglogin.action")
    assert old.status_code == 302
    assert old.location.startswith("/#/login?transaction_service=http%3A%2F%2Flocalhost%2Forgportal%2Fv1%2Fsso%2Fhome")
    assert web.http.get(V + "/sso/home").location == "/#/home"
    assert web.sim("ping")["ui"] == "current"


def test_the_skin_is_registered_and_unknown_skins_are_refused(state: PortalState) -> None:
    with pytest.raises(ValueError, match="classic, current"):
        create_app(state, skin="v2")
    classic = create_app(state, mode="test").test_client()
    assert classic.get("/").location.endswith("/orglogin.action")  # the classic skin is unchanged


def test_the_login_view_has_the_live_portals_ids_and_labels(web: CurrentWeb) -> None:
    response = web.view("/login")
    assert response.status_code == 200
    assert (
        response.headers["X-Route"] == "/login?transaction_service=http%3A%2F%2Flocalhost%2Forgportal%2Fv1%2Fsso%2Fhome"
    )
    dom = Dom(response.get_data(as_text=True))
    for element_id, label in {
        "shortCode": "Short Code",
        "userAccount": "User Name",
        "password": "Password",
        "verifyCode": "Verification Code",
    }.items():
        assert dom.one("input", id=element_id)
        assert dom.label_for(element_id) == label
    assert dom.one("input", id="password").attrs["type"] == "password"
    image = dom.one("img", cls="verifyCode-img-item")
    assert image.inside("div", cls="img-part")
    assert any(svg.inside("div", cls="img-part") for svg in dom.find("svg"))
    assert " ".join(dom.one("button", id="loginBtn").text.split()) == "Login"
    assert "el-button--primary" in dom.one("button", id="loginBtn").classes
    assert web.view("/").headers["X-Route"].startswith("/login?")  # an empty hash opens the login
    assert dom.one("input", id="shortCode").attrs["data-required-message"] == "Please enter the short code."
    missing = Dom(web.http.post(V + "/sso/login", data={"userAccount": "x"}).get_data(as_text=True))
    assert missing.one("input", id="shortCode").attrs.get("aria-invalid") == "true"
    assert "Please enter the short code." in " ".join(e.text for e in missing.find("div", cls="el-alert"))


def test_a_wrong_captcha_shows_the_live_text_and_a_new_image(web: CurrentWeb) -> None:
    login = web.view("/login")
    code = web.load_captcha(login)
    wrong = f"{(int(code) + 1) % 10_000:04d}"
    response = web.http.post(
        V + "/sso/login",
        data={"shortCode": SHORTCODE, "userAccount": ADMIN_USERNAME, "password": "x", "verifyCode": wrong},
    )
    assert re.search("verification code is incorrect or has expired", text_of(response), re.IGNORECASE)
    dom = Dom(response.get_data(as_text=True))
    assert not dom.find("form", id="OTP-form")
    assert dom.one("input", id="shortCode").attrs["value"] == SHORTCODE  # kept; the password is never echoed
    assert dom.one("input", id="password").attrs["value"] == ""
    old_src = Dom(login.get_data(as_text=True)).one("img", cls="verifyCode-img-item").attrs["src"]
    assert dom.one("img", cls="verifyCode-img-item").attrs["src"] != old_src
    assert web.http.get("/__sim/captcha", query_string={"session": web.sid()}).status_code == 404  # used up
    assert web.sim("sms")["messages"] == []


def test_a_correct_captcha_brings_the_six_box_otp_form(web: CurrentWeb) -> None:
    response = web.submit_login()
    assert response.headers["X-Route"].startswith("/login?")
    dom = Dom(response.get_data(as_text=True))
    form = dom.one("form", id="OTP-form")
    boxes = [e for e in dom.find("input") if form in e.parents and "data-index" in e.attrs]
    assert [b.attrs["data-index"] for b in boxes] == ["0", "1", "2", "3", "4", "5"]
    assert all(b.attrs.get("aria-label", "").startswith("OTP digit") for b in boxes)
    assert any("el-button--primary" in b.classes and form in b.parents for b in dom.find("button"))
    assert "Enter the OTP sent to 2547****149." in text_of(response)
    assert not dom.find("form", id="loginForm")
    assert web.view("/login").headers["X-Route"].startswith("/login?")  # the OTP step stays on #/login
    assert Dom(web.view("/login").get_data(as_text=True)).find("form", id="OTP-form")


def test_the_otp_then_home_with_the_sidebar_and_a_one_off_notice(web: CurrentWeb) -> None:
    web.submit_login()
    wrong = web.submit_otp("000000" if "000000" not in web.latest(ADMIN_MSISDN, "LOGIN_OTP") else "111111")
    assert "The OTP is incorrect or has expired." in text_of(wrong)
    otp = OTP_RE.search(web.latest(ADMIN_MSISDN, "LOGIN_OTP"))
    assert otp
    home = web.submit_otp(otp.group(1))
    assert home.headers["X-Route"] == "/home"
    dom = Dom(home.get_data(as_text=True))
    assert dom.find("i", cls="el-sub-menu__icon-arrow")  # the logged-in marker (§4.3)
    notice = dom.one("div", id="notice-dialog")
    assert "hidden" not in notice.attrs
    assert any(b.inside("div", id="notice-dialog") for b in dom.find("button", cls="el-dialog__headerbtn"))
    again = Dom(web.view("/home").get_data(as_text=True))
    assert not again.find("div", id="notice-dialog")  # only once after each login
    titles = again.texts("div", cls="el-sub-menu__title")
    assert titles == ["Search", "Business Center", "My Preference"]  # a Business Administrator's sidebar
    assert "Organization Operator" in again.texts("li", cls="el-menu-item")


def test_an_otp_lockout_returns_to_the_login_with_the_notice(web: CurrentWeb) -> None:
    web.submit_login()
    real = OTP_RE.search(web.latest(ADMIN_MSISDN, "LOGIN_OTP"))
    assert real
    wrong = "111111" if real.group(1) != "111111" else "222222"
    for _ in range(2):
        assert Dom(web.submit_otp(wrong).get_data(as_text=True)).find("form", id="OTP-form")
    last = web.submit_otp(wrong)
    assert "You have entered a wrong OTP too many times." in text_of(last)
    assert Dom(last.get_data(as_text=True)).find("form", id="loginForm")


def test_pages_need_a_login_and_an_expired_session_says_so(web: CurrentWeb) -> None:
    anonymous = web.view("/search/organizationOperator")
    assert anonymous.status_code == 401
    assert anonymous.headers["X-Route"].startswith("/login?")
    assert web.http.post(V + "/operator/create", data={"step": "identity"}).status_code == 401
    web.login()
    assert web.view("/search/organizationOperator").status_code == 200
    assert web.sim_post("fault", {"kind": "expire_sessions"})["expired_sessions"] == 1
    expired = web.view("/search/organizationOperator")
    assert expired.status_code == 401
    assert "Your session has expired. Please log in again." in text_of(expired)
    assert Dom(expired.get_data(as_text=True)).find("form", id="loginForm")


# ---------------------------------------------------------------------------------------------------------------
# Search › Organization Operator, the wizard, Detail › Set Password


def test_the_operator_list_has_the_live_columns_and_no_detail_on_ones_own_row(web: CurrentWeb) -> None:
    web.login()
    response = web.view("/search/organizationOperator")
    assert response.headers["X-Route"] == "/search/organizationOperator"
    dom = Dom(response.get_data(as_text=True))
    headers = [" ".join(th.text.split()) for th in dom.find("th") if th.inside("table", cls="el-table__header")]
    assert headers == LIST_COLUMNS
    create = [b for b in dom.find("button") if " ".join(b.text.split()) == "Create"]
    assert len(create) == 1
    assert "disabled" not in create[0].attrs  # a Business Administrator may create
    rows = list_rows(response)
    assert list(rows) == [ADMIN_USERNAME]
    assert not has_detail(response, rows[ADMIN_USERNAME])

    web.create_operator(channel="API", username="dukaapi", roles=API_ROLES, msisdn="254708374151")
    found = web.view("/search/organizationOperator?search=1&username=duka%25")
    assert found.headers["X-Route"] == "/search/organizationOperator?username=duka%25&search=1"
    rows = list_rows(found)
    assert list(rows) == ["dukaapi"]
    assert has_detail(found, rows["dukaapi"])
    row_text = " ".join(rows["dukaapi"].text.split())
    assert "Pending Active" in row_text
    assert "ORG B2C API initiator,Transaction Status query ORG API,Balance Query ORG API" in row_text
    assert "No Data" in text_of(web.view("/search/organizationOperator?username=nobody"))


def test_create_is_greyed_out_unless_business_administrator(web: CurrentWeb) -> None:
    web.sim_post("seed", {"extras": ["manager"]})
    web.login("sandboxmgr", "Manager#2030", "254708374150")
    response = web.view("/search/organizationOperator")
    create = [b for b in Dom(response.get_data(as_text=True)).find("button") if " ".join(b.text.split()) == "Create"]
    assert create[0].attrs.get("disabled") == ""
    assert "is-disabled" in create[0].classes
    rows = list_rows(response)
    assert not has_detail(response, rows["sandboxmgr"])
    assert has_detail(response, rows[ADMIN_USERNAME])
    refused = web.view("/search/organizationOperator/create")
    assert "You do not have the permission to perform this operation." in text_of(refused)
    titles = Dom(response.get_data(as_text=True)).texts("div", cls="el-sub-menu__title")
    assert titles == ["Search", "Transaction", "Business Center", "My Preference"]  # a Business Manager's sidebar


def test_the_wizard_follows_the_classic_steps_and_rules(web: CurrentWeb) -> None:
    web.login()
    identity = web.view("/search/organizationOperator/create")
    dom = Dom(identity.get_data(as_text=True))
    assert dom.texts("div", cls="el-step__title") == ["Identity Info", "Assign", "KYC Info", "Review"]
    assert dom.label_for("operatorUserName") == "User Name"
    assert dom.label_for("channelWeb") == "Web"
    assert "Organization Name: Sandbox Duka Ltd" in text_of(identity)
    duplicate = web.wizard(
        "identity", language="English (Kenya)", channel=["Web"], username="SandboxAdmin", action="next"
    )
    assert "The User Name is existed" in text_of(duplicate)
    assert duplicate.headers["X-Route"].endswith("step=identity")
    web.wizard("identity", language="English (Kenya)", channel=["Web"], username="dukamgr", action="next")
    dialog = web.wizard("assign", rule_profile="", action="open_roles")
    dialog_dom = Dom(dialog.get_data(as_text=True))
    assert "hidden" not in dialog_dom.one("div", id="select-role-dialog").attrs
    labels = dialog_dom.texts("label")
    assert "Business Manager" in labels
    assert "Balance Query ORG API" not in labels  # only the Web channel's roles until "show all"
    missing = web.wizard("assign", rule_profile="", action="next")
    assert "Please select the rule profile." in text_of(missing)
    assert "Please add at least one role." in text_of(missing)
    web.wizard("assign", rule_profile="Web Operator Rule Profile", action="add_roles", role=WEB_ROLES)
    kyc = web.wizard("assign", rule_profile="Web Operator Rule Profile", action="next")
    assert Dom(kyc.get_data(as_text=True)).label_for("kycNotificationMsisdn") == "Notification Receiving MSISDN"
    assert "IPRS" in text_of(kyc)  # the current UI's IPRS YES/NO for web operators (§7.3)
    bad = web.wizard("kyc", first_name="", notification_msisdn="0712", action="next")
    assert "First Name is required." in text_of(bad)
    assert "Please enter a valid MSISDN, e.g. 254712345678." in text_of(bad)
    cancelled = web.wizard("kyc", action="cancel")
    assert cancelled.headers["X-Route"] == "/search/organizationOperator"
    assert "The operation is cancelled." in text_of(cancelled)


def test_the_whole_flow_over_http_ends_with_both_operators_active(web: CurrentWeb) -> None:
    web.login()
    api = web.create_operator(channel="API", username="dukaapi", roles=API_ROLES, msisdn="254708374151")
    assert api.headers["X-Route"].startswith("/search/organizationOperator/createResult?id=")
    assert "Operation succeeded." in text_of(api)
    web.create_operator(channel="Web", username="dukamgr", roles=WEB_ROLES, msisdn=MANAGER_MSISDN)
    api_id = web.operator("dukaapi")["identity_id"]
    detail = web.view(f"/search/organizationOperator/detail?id={api_id}")
    dom = Dom(detail.get_data(as_text=True))
    buttons = {" ".join(b.text.split()): b for b in dom.find("button") if b.inside("div", cls="page-actions")}
    assert list(buttons)[-2:] == ["Set Password", "Create Task"]  # top right, next to Create Task (§8.2)
    assert "disabled" in buttons["Set Password"].attrs  # the Business Administrator cannot set it
    assert web.http.post(V + "/sso/logout").headers["X-Route"].startswith("/login?")

    credentials = CREDENTIALS_RE.search(web.latest(MANAGER_MSISDN, "WEB_OPERATOR_CREATED"))
    assert credentials
    change = web.login(credentials.group(1), credentials.group(2), MANAGER_MSISDN)
    assert change.headers["X-Route"] == "/changePassword"
    change_dom = Dom(change.get_data(as_text=True))
    for element_id, label in {
        "oldPassword": "Old password",
        "newPassword": "New password",
        "confirmPassword": "Confirm password",
        "question1": "Security Question 1",
        "answer1": "Answer 1",
        "question2": "Security Question 2",
        "answer2": "Answer 2",
    }.items():
        assert change_dom.label_for(element_id) == label
    assert web.view("/home").headers["X-Route"] == "/changePassword"  # nothing else until the change is done
    questions = {"question1": "What is your favourite food?", "answer1": "Ugali"}
    questions |= {"question2": "In which town were you born?", "answer2": "Kisumu"}
    mismatch = web.http.post(
        V + "/sso/changePassword",
        data={"old_password": credentials.group(2), "new_password": "Duka#Mgr2030", "confirm_password": "x"}
        | questions,
    )
    assert "The two passwords are different." in text_of(mismatch)
    done = web.http.post(
        V + "/sso/changePassword",
        data={"old_password": credentials.group(2), "new_password": "Duka#Mgr2030", "confirm_password": "Duka#Mgr2030"}
        | questions,
    )
    assert "Password changed successfully" in text_of(done)
    assert "Return to login page" in text_of(done)
    assert web.operator("dukamgr")["status"] == "Active"
    back = web.http.post(V + "/sso/returnToLogin")
    assert Dom(back.get_data(as_text=True)).find("form", id="loginForm")

    web.login("dukamgr", "Duka#Mgr2030", MANAGER_MSISDN)
    detail = web.view(f"/search/organizationOperator/detail?id={api_id}")
    button = next(
        b for b in Dom(detail.get_data(as_text=True)).find("button") if " ".join(b.text.split()) == "Set Password"
    )
    assert "disabled" not in button.attrs
    rejected = web.http.post(
        V + "/operator/setPassword", data={"id": api_id, "password": "weak", "confirm_password": "weak"}
    )
    assert "hidden" not in Dom(rejected.get_data(as_text=True)).one("div", id="set-password-dialog").attrs
    assert web.operator("dukaapi")["status"] == "Pending Active"
    data = {"id": api_id, "password": "Init#Duka2030", "confirm_password": "Init#Duka2030"}
    done = web.http.post(V + "/operator/setPassword", data=data)
    assert "Operation succeeded." in text_of(done)
    assert "Init#Duka2030" not in done.get_data(as_text=True)
    assert "hidden" in Dom(done.get_data(as_text=True)).one("div", id="set-password-dialog").attrs
    assert web.operator("dukaapi")["status"] == "Active"
    rows = list_rows(web.view("/search/organizationOperator?username=duka%25"))
    assert {name: "Active" in " ".join(row.text.split()) for name, row in rows.items()} == {
        "dukaapi": True,
        "dukamgr": True,
    }


def test_my_preference_changes_the_own_password(web: CurrentWeb) -> None:
    web.login()
    page = web.view("/myPreference/basicInfo")
    assert Dom(page.get_data(as_text=True)).label_for("prefOldPassword") == "Old password"
    data = {"old_password": ADMIN_PASSWORD, "new_password": "Duka$Admin2031", "confirm_password": "Duka$Admin2031"}
    done = web.http.post(V + "/preference/changePassword", data=data)
    assert "Password changed successfully" in text_of(done)
    web.http.post(V + "/sso/logout")
    assert web.login(password="Duka$Admin2031").headers["X-Route"] == "/home"


def test_every_current_view_is_labelled(web: CurrentWeb) -> None:
    pages: dict[str, str] = {"login": web.view("/login").get_data(as_text=True)}
    pages["forgot"] = web.view("/forgotPassword").get_data(as_text=True)
    web.sim_post("seed", {"admin": {"first_login": True}, "extras": ["manager", "locked_operator"]})
    pages["otp"] = web.submit_login().get_data(as_text=True)
    otp = OTP_RE.search(web.latest(ADMIN_MSISDN, "LOGIN_OTP"))
    assert otp
    pages["change"] = web.submit_otp(otp.group(1)).get_data(as_text=True)
    pages["changed"] = web.http.post(
        V + "/sso/changePassword",
        data={
            "old_password": ADMIN_PASSWORD,
            "new_password": "Duka$Admin2031",
            "confirm_password": "Duka$Admin2031",
            "question1": "What is your favourite food?",
            "answer1": "Ugali",
            "question2": "In which town were you born?",
            "answer2": "Kisumu",
        },
    ).get_data(as_text=True)
    web.http.post(V + "/sso/returnToLogin")
    pages["home"] = web.login(password="Duka$Admin2031").get_data(as_text=True)
    for route in (
        "/search/organizationOperator",
        "/search/myOrganization",
        "/search/organization",
        "/myPreference/basicInfo",
        "/notAvailable?function=Bulk Task",
        "/search/organizationOperator/create",
    ):
        pages[route] = web.view(route).get_data(as_text=True)
    web.wizard("identity", language="English (Kenya)", channel=["API", "Web"], username="a11y", action="next")
    pages["roles"] = web.wizard("assign", rule_profile="", action="show_all_roles", all_channels="1").get_data(
        as_text=True
    )
    web.wizard("assign", rule_profile="Web Operator Rule Profile", action="add_roles", role=["Business Manager"])
    web.wizard("assign", rule_profile="Web Operator Rule Profile", action="next")
    web.wizard("kyc", action="add_id_row")
    pages["kyc-errors"] = web.wizard("kyc", action="next").get_data(as_text=True)
    locked = web.operator("lockedclerk")["identity_id"]
    pages["detail"] = web.view(f"/search/organizationOperator/detail?id={locked}").get_data(as_text=True)
    pages["detail-errors"] = web.http.post(
        V + "/operator/changeStatus", data={"id": locked, "status": "", "reason": ""}
    ).get_data(as_text=True)
    assert len(pages) >= 16
    assert {name: found for name, html in pages.items() if (found := audit(html))} == {}


# ---------------------------------------------------------------------------------------------------------------
# the control surface's faults on this skin


def test_rename_label_applies_to_this_skins_texts(web: CurrentWeb) -> None:
    web.sim_post("fault", {"kind": "rename_label", "old": "Short Code", "new": "Till Number"})
    web.sim_post("fault", {"kind": "rename_label", "old": "Organization Operator", "new": "Operator List"})
    login = Dom(web.view("/login").get_data(as_text=True))
    assert login.label_for("shortCode") == "Till Number"
    web.login()
    home = Dom(web.view("/home").get_data(as_text=True))
    items = home.texts("li", cls="el-menu-item")
    assert "Operator List" in items
    assert "Organization Operator" not in items


def test_error_after_commit_answers_500_after_the_change(web: CurrentWeb) -> None:
    web.sim_post("seed", {"extras": ["manager", "api_operator"]})
    api = web.operator("sandboxapi")
    web.login("sandboxmgr", "Manager#2030", "254708374150")
    web.sim_post("fault", {"kind": "error_after_commit", "path": V + "/operator/", "times": 1})
    data = {"id": api["identity_id"], "password": "Fresh#Init2031", "confirm_password": "Fresh#Init2031"}
    response = web.http.post(V + "/operator/setPassword", data=data)
    assert response.status_code == 500
    assert "X-Route" not in response.headers  # the app shows it as an error message and keeps its view
    assert web.operator("sandboxapi")["password_set_at"] != api["password_set_at"]
    assert web.sim("fault")["faults"] == []


def test_latency_delays_this_skins_views(web: CurrentWeb) -> None:
    web.sim_post("fault", {"kind": "latency", "path": V + "/view/login", "seconds": 0.3, "times": 1})
    started = time.monotonic()
    assert web.view("/login").status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    web.view("/login")
    assert time.monotonic() - started < 0.3


@pytest.fixture
def served() -> Iterator[RunningSandbox]:
    running = start_sandbox(skin="current")
    try:
        yield running
    finally:
        running.stop()


def test_drop_after_commit_closes_the_connection_after_the_login_committed(served: RunningSandbox) -> None:
    with requests.Session() as http:
        login = http.get(served.url + V + "/view/login", timeout=10)
        image = Dom(login.text).one("img", cls="verifyCode-img-item").attrs["src"]
        assert http.get(served.url + image, timeout=10).headers["Content-Type"] == "image/png"
        code = served.control.captcha(http.cookies["JSESSIONID"])
        served.control.fault("drop_after_commit", path=V + "/sso/login")
        data = {"shortCode": SHORTCODE, "userAccount": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "verifyCode": code}
        with pytest.raises(requests.ConnectionError):
            http.post(served.url + V + "/sso/login", data=data, timeout=10)
        assert served.control.sms(ADMIN_MSISDN, kind="LOGIN_OTP")  # committed: the OTP went out
        after = http.get(served.url + V + "/view/login", timeout=10)
        assert 'id="OTP-form"' in after.text
