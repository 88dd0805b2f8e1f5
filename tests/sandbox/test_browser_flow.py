"""The seed document's whole flow in real Chromium, by visible labels only (reference §16 "working order").

Administrator: log in (captcha from the control surface, OTP from the SMS outbox) → Browse Organization → Operators →
Add → create an API operator and a web operator (Business Manager + Set Restricted ORG API PASSWORD) → log out.
Web operator: log in with the SMS credentials → forced change + security questions → log in again → Set Password
on the API operator → both operators Active in the grid. Screens are saved to the ``artefacts`` dir.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, Locator, Page, expect

from agent.sandbox.portal.client import SandboxControl
from agent.sandbox.portal.server import RunningSandbox
from tests.harness.sandbox import login_in_browser, read_captcha, tab_frame

pytestmark = pytest.mark.browser

API_ROLES = ("ORG B2C API initiator", "Transaction Status query ORG API", "Balance Query ORG API")
WEB_ROLES = ("Business Manager", "Set Restricted ORG API PASSWORD")
MANAGER_MSISDN = "254712345678"
API_PASSWORD = "Init#Duka2030"
MANAGER_PASSWORD = "Duka#Mgr2030"


class Shots:
    def __init__(self, page: Page, directory: Path) -> None:
        self.page, self.directory, self.count = page, directory, 0

    def __call__(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=self.directory / f"{self.count:02d}-{name}.png")


def _create_operator(
    page: Page,
    shots: Shots | None,
    *,
    channel: str,
    username: str,
    roles: tuple[str, ...],
    first: str,
    last: str,
    id_number: str,
    msisdn: str,
) -> None:
    browse = tab_frame(page, "Browse Organization")
    browse.get_by_role("button", name="Add").click()
    wizard = tab_frame(page, "Create Operator")
    expect(wizard.get_by_role("heading", name="Create Organization Operator")).to_be_visible()
    expect(wizard.get_by_label("Organization Short Code")).to_have_value("600000")
    expect(wizard.get_by_text("Organization Name: Sandbox Duka Ltd")).to_be_visible()
    expect(wizard.get_by_label("User Name")).to_be_hidden()
    wizard.get_by_label(channel, exact=True).check()
    wizard.get_by_label("User Name").fill(username)
    if shots:
        shots("wizard-identity")
    wizard.get_by_role("button", name="Next").click()

    wizard.get_by_label("Rule Profile").select_option("Web Operator Rule Profile")
    wizard.get_by_role("button", name="Add").click()
    dialog = wizard.get_by_role("dialog", name="Select Role")
    for role in roles:
        dialog.get_by_label(role, exact=True).check()
    if shots:
        shots("wizard-select-role")
    dialog.get_by_role("button", name="OK").click()
    for role in roles:
        expect(wizard.get_by_label(f"Expiration Date of {role}")).to_have_value("31/12/2099")
    if shots:
        shots("wizard-assign")
    wizard.get_by_role("button", name="Next").click()

    wizard.get_by_label("First Name").fill(first)
    wizard.get_by_label("Last Name").fill(last)
    wizard.get_by_label("ID Number").fill(id_number)
    wizard.get_by_label("Preferred Notification Channel").select_option("SMS")
    wizard.get_by_label("Notification Receiving MSISDN").fill(msisdn)
    if shots:
        shots("wizard-kyc")
    wizard.get_by_role("button", name="Next").click()

    expect(wizard.get_by_text(username, exact=True)).to_be_visible()
    if shots:
        shots("wizard-review")
    wizard.get_by_role("button", name="Submit").click()
    wizard.get_by_role("dialog", name="Confirm").get_by_role("button", name="Yes").click()
    done = wizard.get_by_role("dialog", name="Information")
    expect(done).to_contain_text("Operation succeeded.")
    if shots:
        shots("wizard-done")
    done.get_by_role("button", name="OK").click()
    expect(page.get_by_role("tab", name="Create Operator")).to_have_count(0)


def _search(frame: FrameLocator, username: str) -> None:
    frame.get_by_label("User Name").fill(username)
    frame.get_by_role("button", name="Search").click()


def _row(frame: FrameLocator, username: str) -> Locator:
    return frame.get_by_role("row").filter(has=frame.get_by_role("cell", name=username, exact=True))


def test_admin_creates_both_operators_and_the_manager_activates_the_api_operator(
    page: Page, portal: RunningSandbox, sim: SandboxControl, artefacts: Path
) -> None:
    started = time.monotonic()
    page.set_viewport_size({"width": 1366, "height": 800})
    shots = Shots(page, artefacts)

    # ---- the Business Administrator logs in
    page.goto(portal.login_url)
    expect(page).to_have_title("M-PESA Organization Portal")
    shots("login")
    page.get_by_label("Short Code").fill("600000")
    page.get_by_label("User Name").fill("sandboxadmin")
    page.get_by_label("Password", exact=True).fill("Sandbox#2030")
    page.get_by_label("Verification Code").fill(read_captcha(page, sim))
    before = sim.last_message_id()
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("heading", name="OTP Verification")).to_be_visible()
    expect(page.get_by_text("Enter the OTP sent to 2547****149.")).to_be_visible()
    shots("otp")
    page.get_by_label("OTP", exact=True).fill(sim.wait_for_otp("254708374149", after=before))
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("banner")).to_contain_text("sandboxadmin")
    expect(page.get_by_role("menuitem", name="My Functions")).to_be_visible()
    expect(page.get_by_role("menuitem", name="My Tasks")).to_have_count(0)  # an administrator's menu
    shots("home")

    # ---- Browse Organization → Operators
    page.get_by_role("menuitem", name="Browse Organization").click()
    browse = tab_frame(page, "Browse Organization")
    browse.get_by_role("link", name="Operators").click()
    expect(browse.get_by_role("heading", name="Search for Organization Operator")).to_be_visible()
    expect(browse.get_by_label("User Name")).to_have_value("%")
    browse.get_by_role("button", name="Search").click()
    expect(browse.get_by_text("Total records: 1")).to_be_visible()
    shots("browse-operators")

    # ---- create the API operator, then the web operator
    _create_operator(
        page,
        shots,
        channel="API",
        username="dukaapi",
        roles=API_ROLES,
        first="Duka",
        last="Initiator",
        id_number="23456789",
        msisdn="254708374149",
    )
    _create_operator(
        page,
        None,
        channel="Web",
        username="dukamgr",
        roles=WEB_ROLES,
        first="Wanjiru",
        last="Kamau",
        id_number="34567890",
        msisdn=MANAGER_MSISDN,
    )
    username, temporary = sim.wait_for_credentials(MANAGER_MSISDN)
    assert username == "dukamgr"

    _search(browse, "duka%")
    for name in ("dukaapi", "dukamgr"):
        expect(_row(browse, name).get_by_role("cell", name="Pending Active")).to_be_visible()
    shots("operators-pending")

    # the administrator cannot Set Password (greyed out)
    _row(browse, "dukaapi").get_by_role("link", name="Details").click()
    info = tab_frame(page, "dukaapi")
    expect(info.get_by_text("Sandbox Duka Ltd\\dukaapi(Pending Active)")).to_be_visible()
    expect(info.get_by_role("button", name="Set Password", exact=True)).to_be_disabled()
    shots("operator-info-admin")

    # ---- log out
    page.get_by_role("button", name="Logout").click()
    logout = page.get_by_role("dialog", name="Confirm")
    expect(logout).to_contain_text("Are you sure you want to log out?")
    logout.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("button", name="Login")).to_be_visible()

    # ---- the web operator's first login: SMS credentials, forced change with two security questions
    login_in_browser(page, sim, username=username, password=temporary, msisdn=MANAGER_MSISDN)
    expect(page.get_by_role("heading", name="Change Password")).to_be_visible()
    page.get_by_label("Old password").fill(temporary)
    page.get_by_label("New password").fill(MANAGER_PASSWORD)
    page.get_by_label("Confirm password").fill(MANAGER_PASSWORD)
    page.get_by_label("Security Question 1").select_option("What is the name of your first school?")
    page.get_by_label("Answer 1").fill("Kilimani Primary")
    page.get_by_label("Security Question 2").select_option("In which town were you born?")
    page.get_by_label("Answer 2").fill("Nakuru")
    shots("first-login-change")
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Confirm").get_by_role("button", name="Yes").click()
    expect(page.get_by_text("Password changed successfully")).to_be_visible()
    page.get_by_role("button", name="Return to login page").click()

    login_in_browser(page, sim, username="dukamgr", password=MANAGER_PASSWORD, msisdn=MANAGER_MSISDN)
    expect(page.get_by_role("banner")).to_contain_text("dukamgr")
    expect(page.get_by_role("menuitem", name="My Tasks")).to_be_visible()  # a Business Manager's menu

    # ---- My Functions › Operator Management → the API operator → Set Password
    page.get_by_role("menuitem", name="My Functions").click()
    page.get_by_role("menuitem", name="Operator Management").click()
    manage = tab_frame(page, "Operator Management")
    expect(manage.get_by_role("button", name="Add")).to_be_disabled()
    _search(manage, "dukaapi")
    _row(manage, "dukaapi").get_by_role("link", name="Details").click()
    info = tab_frame(page, "dukaapi")
    info.get_by_role("button", name="Set Password", exact=True).click()
    dialog = info.get_by_role("dialog", name="Set Password")
    dialog.get_by_label("Password", exact=True).fill(API_PASSWORD)
    dialog.get_by_label("Confirm Password").fill(API_PASSWORD)
    shots("set-password")
    dialog.get_by_role("button", name="Submit").click()
    expect(info.get_by_role("dialog", name="Information")).to_contain_text("Operation succeeded.")
    info.get_by_role("dialog", name="Information").get_by_role("button", name="OK").click()
    expect(info.get_by_text("Sandbox Duka Ltd\\dukaapi(Active)")).to_be_visible()

    # ---- both Active in the grid
    page.get_by_role("tab", name="Operator Management").click()
    _search(manage, "duka%")
    for name in ("dukaapi", "dukamgr"):
        expect(_row(manage, name).get_by_role("cell", name="Active", exact=True)).to_be_visible()
    shots("operators-active")

    operators = {op["username"]: op for op in sim.state()["orgs"][0]["operators"]}
    assert operators["dukaapi"]["status"] == "Active"
    assert operators["dukaapi"]["roles"] == list(API_ROLES)
    assert operators["dukamgr"]["status"] == "Active"
    assert operators["dukamgr"]["security_questions_set"] is True
    # ~12 s on an idle 2-core machine; the bound catches a step that silently waits for a timeout.
    assert time.monotonic() - started < 45, "the browser flow should take well under a minute"
