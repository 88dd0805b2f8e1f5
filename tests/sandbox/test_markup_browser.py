"""The markup knob in real Chromium: in every classic markup mode (and "hard") a person finds the same screens by
their visible texts, in whichever frame they are, and creates an API operator; the state changes exactly as in the
default markup. This is the sandbox's own check that each mode's script (late content, in-page submits, confirmations,
dialogs in the top document, ARIA checkboxes, role=button elements, 0/1/2 iframe levels) works.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Error, Frame, Locator, Page, expect

from agent.sandbox.portal.markup import MARKUP_MODES
from agent.sandbox.portal.server import RunningSandbox, start_sandbox
from tests.harness.sandbox import session_id

pytestmark = pytest.mark.browser

API_ROLES = ("Transaction Status query ORG API", "Balance Query ORG API")


@pytest.fixture(params=["default", *MARKUP_MODES["classic"], "hard"])
def portal(request: pytest.FixtureRequest, chromium_path: str) -> Iterator[RunningSandbox]:
    served = start_sandbox(mode="test", skin="classic", markup=str(request.param))
    try:
        yield served
    finally:
        served.stop()


def find(page: Page, make: Callable[[Frame], Locator], timeout_s: float = 10.0) -> Locator:
    """The first visible match in any frame of the page (top document or nested iframes), waiting for it."""
    deadline = time.monotonic() + timeout_s
    while True:
        for frame in page.frames:
            try:
                found = make(frame).first
                found.wait_for(state="visible", timeout=100)
            except Error:
                continue
            return found
        if time.monotonic() > deadline:
            raise AssertionError("not found in any frame")


def button(page: Page, name: str) -> Locator:
    return find(page, lambda f: f.get_by_role("button", name=name, exact=True))


def box_beside(page: Page, scope: Callable[[Frame], Locator], text: str) -> Locator:
    """The checkbox in the same row/item as ``text`` (named or not, native or ARIA)."""
    return find(
        page,
        lambda f: (
            scope(f)
            .locator("tr, .g-row, .check")
            .filter(has=f.get_by_text(text, exact=True))
            .locator("input[type=checkbox], [role=checkbox]")
        ),
    )


def tick(box: Locator) -> None:
    box.click()
    expect(box).to_be_checked()


def test_a_person_creates_an_api_operator_in_every_classic_markup(page: Page, portal: RunningSandbox) -> None:
    control = portal.control
    page.goto(portal.login_url)
    page.get_by_label("Short Code").fill("600000")
    page.get_by_label("User Name").fill("sandboxadmin")
    page.get_by_label("Password", exact=True).fill("Sandbox#2030")
    code = control.captcha(session_id(page), wait=10)
    page.get_by_label("Verification Code").fill(code)
    before = control.last_message_id()
    page.get_by_role("button", name="Login").click()
    page.get_by_label("OTP", exact=True).fill(control.wait_for_otp("254708374149", after=before))
    page.get_by_role("button", name="Submit").click()

    page.get_by_role("menuitem", name="Browse Organization").click()
    find(page, lambda f: f.get_by_role("link", name="Operators", exact=True)).click()
    button(page, "Search").click()
    expect(find(page, lambda f: f.get_by_text("Total records: 1"))).to_be_visible()
    button(page, "Add").click()

    find(page, lambda f: f.get_by_role("heading", name="Create Organization Operator"))
    tick(box_beside(page, lambda f: f.locator("fieldset"), "API"))
    find(page, lambda f: f.get_by_label("User Name")).fill("markupapi")
    button(page, "Next").click()

    find(page, lambda f: f.get_by_label("Rule Profile")).select_option("Web Operator Rule Profile")
    button(page, "Add").click()
    dialog = find(page, lambda f: f.get_by_role("dialog", name="Select Role"))
    for role in API_ROLES:
        tick(box_beside(page, lambda f: f.get_by_role("dialog", name="Select Role"), role))
    dialog.get_by_role("button", name="OK").click()
    for role in API_ROLES:
        expect(find(page, lambda f, r=role: f.get_by_label(f"Expiration Date of {r}"))).to_have_value("31/12/2099")
    button(page, "Next").click()

    find(page, lambda f: f.get_by_label("First Name")).fill("Markup")
    find(page, lambda f: f.get_by_label("Last Name")).fill("Initiator")
    find(page, lambda f: f.get_by_label("ID Number")).fill("23456780")
    find(page, lambda f: f.get_by_label("Preferred Notification Channel")).select_option("SMS")
    find(page, lambda f: f.get_by_label("Notification Receiving MSISDN")).fill("254708374149")
    button(page, "Next").click()
    expect(find(page, lambda f: f.get_by_text("markupapi", exact=True))).to_be_visible()
    button(page, "Submit").click()
    find(page, lambda f: f.get_by_role("dialog", name="Confirm").get_by_role("button", name="Yes")).click()
    done = find(page, lambda f: f.get_by_role("dialog", name="Information"))
    expect(done).to_contain_text("Operation succeeded.")

    created = {op["username"]: op for org in control.state()["orgs"] for op in org["operators"]}["markupapi"]
    assert created["status"] == "Pending Active"
    assert sorted(created["roles"]) == sorted(API_ROLES)
    assert created["channels"] == ["API"]
