"""Every portal page is operable by label: inputs have a real <label for>, buttons and links a name, dialogs are
role="dialog" with a name, tab iframes a title. Checked on every screen of the classic skin."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

import pytest

from tests.sandbox.portal_http import PortalBrowser

pytestmark = pytest.mark.unit

VOID = {"input", "img", "br", "meta", "link", "hr", "source", "area", "base", "col", "embed", "param", "wbr"}


@dataclasses.dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            if element.attrs.get("aria-hidden") == "true":
                return
        for element in self._open:
            element.text += data


def audit(html: str) -> list[str]:
    dom = _Dom()
    dom.feed(html)
    by_id = {e.attrs["id"]: e for e in dom.elements if "id" in e.attrs}
    labelled = {e.attrs.get("for", "") for e in dom.elements if e.tag == "label" and e.text.strip()}
    problems = []
    ids = [e.attrs["id"] for e in dom.elements if "id" in e.attrs]
    problems += [f"duplicate id {i}" for i in set(ids) if ids.count(i) > 1]
    for e in dom.elements:
        name = e.attrs.get("aria-label", "").strip() or e.attrs.get("title", "").strip()
        field = e.tag in ("input", "select", "textarea") and e.attrs.get("type") != "hidden"
        if field and e.attrs.get("id") not in labelled and not e.attrs.get("aria-label"):
            problems.append(f"{e.tag} {e.attrs.get('name')!r} has no <label for>")
        if e.tag == "button" and not (e.text.strip() or e.attrs.get("aria-label")):
            problems.append(f"button without a name: {e.attrs}")
        if e.tag == "a" and not (e.text.strip() or name):
            problems.append(f"link without a name: {e.attrs}")
        if e.attrs.get("role") == "dialog":
            title = by_id.get(e.attrs.get("aria-labelledby", ""))
            if title is None or not title.text.strip():
                problems.append(f"dialog without a name: {e.attrs}")
        if e.tag == "iframe" and not e.attrs.get("title"):
            problems.append("iframe without a title")
        if e.tag == "img" and "alt" not in e.attrs:
            problems.append("img without alt")
    return problems


def test_the_audit_catches_an_unlabelled_input() -> None:
    assert audit('<input id="a" name="x"><button></button>') == [
        "input 'x' has no <label for>",
        "button without a name: {}",
    ]
    assert audit('<label for="a">Name</label><input id="a"><button aria-label="Close"></button>') == []


def test_every_screen_is_labelled(web: PortalBrowser) -> None:
    pages: dict[str, str] = {}

    def grab(name: str, path: str) -> None:
        response = web.http.get(path)
        assert response.status_code == 200, (name, response.status_code, response.location)
        pages[name] = response.get_data(as_text=True)

    grab("login", "/orglogin.action")
    grab("forgot", "/forgotPassword.action")
    web.sim_post("seed", {"admin": {"first_login": True}, "extras": ["manager", "locked_operator"]})
    web.submit_login()
    grab("otp", "/otp.action")
    web.submit_otp(web.latest_otp("254708374149"))
    grab("change", "/changePassword.action")
    pages["changed"] = web.change_password("Sandbox#2030", "Duka$Admin2031").get_data(as_text=True)
    web.http.post("/returnToLogin.action")
    web.login(password="Duka$Admin2031")
    for name, path in {
        "shell": "/home.action",
        "homepage": "/homepage.action",
        "org-info": "/browseOrg/orgInfo.action",
        "my-organization": "/myOrganization.action",
        "my-preference": "/myPreference.action",
        "not-available": "/notAvailable.action?function=Bulk",
        "logout": "/logout.action",
        "operators": "/browseOrg/operators.action?search=1",
        "operator-management": "/operatorManagement.action?search=1",
    }.items():
        grab(name, path)
    web.http.get("/operator/create.action")
    web.wizard_step("identity", channel=["API", "Web"], username="a11y", action="next")
    grab("identity", "/operator/create.action?step=identity")
    pages["assign-dialog"] = web.wizard_step(
        "assign", rule_profile="Web Operator Rule Profile", action="open_roles"
    ).get_data(as_text=True)
    web.wizard_step("assign", rule_profile="Web Operator Rule Profile", action="add_roles", role=["Business Manager"])
    grab("assign", "/operator/create.action?step=assign")
    web.wizard_step("assign", rule_profile="Web Operator Rule Profile", action="next")
    web.wizard_step("kyc", action="add_id_row")
    grab("kyc", "/operator/create.action?step=kyc")
    pages["kyc-errors"] = web.wizard_step("kyc", action="next").get_data(as_text=True)
    pages["my-preference-errors"] = web.http.post(
        "/myPreference/changePassword.action", data={"old_password": "", "new_password": "", "confirm_password": "x"}
    ).get_data(as_text=True)
    locked = web.operator_id("lockedclerk")
    grab("detail", f"/operator/detail.action?id={locked}&done=1")
    pages["detail-errors"] = web.http.post(
        "/operator/changeStatus.action", data={"id": locked, "status": "", "reason": ""}
    ).get_data(as_text=True)

    assert len(pages) >= 20
    problems = {name: audit(html) for name, html in pages.items()}
    assert {name: found for name, found in problems.items() if found} == {}
