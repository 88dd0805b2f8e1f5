"""The whole flow on the current (2025+) skin in real Chromium, by visible labels and the live portal's ids.

Administrator: #/login (the fields reset once while the captcha loads; a wrong captcha first) → 6-box OTP → the
stray notice dialog → Search › Organization Operator → + Create an API and a web operator → Set Password greyed out →
Logout. Web operator: SMS credentials → first login with the forced change and two security questions → log in
again → Detail on the API operator (none on its own row) → Set Password → both Active. All without a page load.
Screens are saved to the ``artefacts`` dir.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from agent.sandbox.portal import ADMIN_MSISDN, ADMIN_PASSWORD, ADMIN_USERNAME, SHORTCODE
from agent.sandbox.portal.client import SandboxControl
from agent.sandbox.portal.server import RunningSandbox, start_sandbox
from tests.harness.sandbox import read_captcha, session_id

pytestmark = pytest.mark.browser

API_ROLES = ("ORG B2C API initiator", "Transaction Status query ORG API", "Balance Query ORG API")
WEB_ROLES = ("Business Manager", "Set Restricted ORG API PASSWORD")
MANAGER_MSISDN = "254712345678"
API_PASSWORD = "Init#Duka2030"
MANAGER_PASSWORD = "Duka#Mgr2030"
COLUMNS = [
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
CAPTCHA_WRONG = re.compile("verification code is incorrect or has expired", re.IGNORECASE)


@pytest.fixture
def current() -> Iterator[RunningSandbox]:
    running = start_sandbox(skin="current")
    try:
        yield running
    finally:
        running.stop()


class Shots:
    def __init__(self, page: Page, directory: Path) -> None:
        self.page, self.directory, self.count = page, directory, 0

    def __call__(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=self.directory / f"{self.count:02d}-{name}.png")


def fill_login(page: Page, username: str, password: str) -> None:
    page.get_by_label("Short Code").fill(SHORTCODE)
    page.get_by_label("User Name").fill(username)
    page.get_by_label("Password", exact=True).fill(password)


def log_in(
    page: Page, sim: SandboxControl, username: str, password: str, msisdn: str, shots: Shots | None = None
) -> None:
    """Captcha + OTP. The live portal's Vue form may wipe the fields while the captcha loads: fill after it settled
    (data-settled is a sandbox-only marker; on the live portal, re-fill just before clicking Login)."""
    expect(page.locator("#loginForm")).to_have_attribute("data-settled", "true")
    fill_login(page, username, password)
    page.get_by_label("Verification Code").fill(read_captcha(page, sim))
    before = sim.last_message_id()
    page.locator("button#loginBtn").click()
    otp_form = page.locator("form#OTP-form")
    expect(otp_form).to_be_visible()
    if shots:
        shots("otp")
    for index, digit in enumerate(sim.wait_for_otp(msisdn, after=before)):
        otp_form.locator(f'input[data-index="{index}"]').fill(digit)
    otp_form.locator("button.el-button--primary", has_text="Confirm").click()


def close_stray_dialog(page: Page) -> None:
    dialog = page.get_by_role("dialog", name="Notice")
    expect(dialog).to_be_visible()
    dialog.locator("button.el-dialog__headerbtn").click()
    expect(dialog).to_be_hidden()


def open_operator_list(page: Page) -> None:
    sub_menu = page.locator("li.el-sub-menu").filter(has=page.get_by_text("Search", exact=True))
    if sub_menu.get_attribute("aria-expanded") != "true":
        page.get_by_text("Search", exact=True).click()
    page.get_by_role("menuitem", name="Organization Operator", exact=True).click()
    expect(page.get_by_role("heading", name="Organization Operator")).to_be_visible()


def choose(page: Page, label: str, option: str) -> None:
    """An Element Plus select: open it by its label, then click the option in the listbox it names (which may be
    rendered at the end of <body>: select-teleport markup)."""
    combobox = page.get_by_label(label, exact=True)
    combobox.click()
    listbox = page.locator(f"[id='{combobox.get_attribute('aria-controls')}']")
    listbox.get_by_role("option", name=option, exact=True).click()
    chosen = listbox.get_by_role("option", name=option, exact=True, include_hidden=True)  # closed again
    expect(chosen).to_have_attribute("aria-selected", "true")
    expect(combobox).to_have_attribute("aria-expanded", "false")


def search(page: Page, username: str) -> None:
    page.get_by_label("User Name", exact=True).fill(username)
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search/organizationOperator\?.*username="))  # a hash or a history route


def row(page: Page, username: str) -> Locator:
    return page.locator(".operator-table tr.el-table__row").filter(
        has=page.get_by_role("cell", name=username, exact=True)
    )


def create_operator(
    page: Page, shots: Shots | None, *, channel: str, username: str, roles: tuple[str, ...], first: str, msisdn: str
) -> None:
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name="Create Organization Operator")).to_be_visible()
    expect(page.get_by_label("Organization Short Code")).to_have_value(SHORTCODE)
    expect(page.get_by_text("Organization Name: Sandbox Duka Ltd")).to_be_visible()
    expect(page.get_by_label("User Name")).to_be_hidden()
    page.get_by_label(channel, exact=True).check()
    page.get_by_label("User Name").fill(username)
    if shots:
        shots("wizard-identity")
    page.get_by_role("button", name="Next").click()

    expect(page.locator(".el-step__title.is-process")).to_have_text("Assign")
    choose(page, "Rule Profile", "Web Operator Rule Profile")
    page.get_by_role("button", name="Add", exact=True).click()
    dialog = page.get_by_role("dialog", name="Select Role")
    for role in roles:
        dialog.get_by_label(role, exact=True).check()
    if shots:
        shots("wizard-select-role")
    dialog.get_by_role("button", name="OK").click()
    for role in roles:
        expect(page.get_by_label(f"Expiration Date of {role}")).to_have_value("31/12/2099")
    if shots:
        shots("wizard-assign")
    page.get_by_role("button", name="Next").click()

    expect(page.locator(".el-step__title.is-process")).to_have_text("KYC Info")
    page.get_by_label("First Name").fill(first)
    page.get_by_label("Last Name").fill("Kamau")
    page.get_by_label("ID Number").fill("23456789")
    choose(page, "Preferred Notification Channel", "SMS")
    page.get_by_label("Notification Receiving MSISDN").fill(msisdn)
    if shots:
        shots("wizard-kyc")
    page.get_by_role("button", name="Next").click()

    expect(page.locator(".el-step__title.is-process")).to_have_text("Review")
    expect(page.get_by_role("cell", name=username, exact=True)).to_be_visible()
    if shots:
        shots("wizard-review")
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Confirm").get_by_role("button", name="Yes").click()
    expect(page.get_by_text("Operation succeeded.")).to_be_visible()
    if shots:
        shots("wizard-done")
    page.get_by_role("button", name="Back to List").click()
    expect(page.get_by_role("heading", name="Organization Operator")).to_be_visible()


def test_the_whole_flow_on_the_current_skin(page: Page, current: RunningSandbox, artefacts: Path) -> None:
    started = time.monotonic()
    sim = current.control
    page.set_viewport_size({"width": 1366, "height": 800})
    shots = Shots(page, artefacts)

    # ---- #/login: the fields are wiped once, a moment after the captcha image loads (as the live Vue form does)
    page.goto(current.url + "/#/login")
    expect(page).to_have_title("M-PESA Organization Portal")
    expect(page.locator("div.img-part img.verifyCode-img-item")).to_be_visible()
    fill_login(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(page.locator("#loginForm")).to_have_attribute("data-settled", "true")
    for field in ("#shortCode", "#userAccount", "#password"):
        expect(page.locator(field)).to_have_value("")
    page.evaluate("window.__sameDocument = true")  # proves later that no step loaded a new page
    shots("login")

    # an empty field is caught by the form itself; a wrong captcha gets the live portal's text and a new image
    page.locator("button#loginBtn").click()
    expect(page.get_by_text("Please enter the short code.")).to_be_visible()
    fill_login(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    code = read_captcha(page, sim)
    seq = sim.captcha_info(session_id(page))["seq"]
    page.get_by_label("Verification Code").fill(f"{(int(code) + 1) % 10_000:04d}")
    page.locator("button#loginBtn").click()
    expect(page.get_by_role("alert")).to_have_text(CAPTCHA_WRONG)
    assert sim.captcha(session_id(page), after=seq) != ""  # the view asked for a new captcha
    shots("captcha-wrong")

    # ---- captcha + 6-box OTP, then the stray dialog
    log_in(page, sim, ADMIN_USERNAME, ADMIN_PASSWORD, ADMIN_MSISDN, shots)
    expect(page.locator("i.el-icon.el-sub-menu__icon-arrow").first).to_be_visible()  # the logged-in marker
    expect(page).to_have_url(re.compile(r"#/home$"))
    shots("home-with-stray-dialog")
    close_stray_dialog(page)
    expect(page.get_by_role("banner")).to_contain_text(ADMIN_USERNAME)

    # ---- Search › Organization Operator
    open_operator_list(page)
    expect(page).to_have_url(re.compile(r"#/search/organizationOperator$"))
    assert [t.strip() for t in page.locator(".el-table__header th").all_inner_texts()] == COLUMNS
    expect(row(page, ADMIN_USERNAME)).to_have_count(1)
    expect(row(page, ADMIN_USERNAME).get_by_role("button", name="Detail")).to_have_count(0)  # not on one's own row
    shots("operators")

    # ---- + Create: the API operator, then the web operator that will set its password
    create_operator(
        page, shots, channel="API", username="dukaapi", roles=API_ROLES, first="Duka", msisdn="254708374151"
    )
    create_operator(
        page, None, channel="Web", username="dukamgr", roles=WEB_ROLES, first="Wanjiru", msisdn=MANAGER_MSISDN
    )
    username, temporary = sim.wait_for_credentials(MANAGER_MSISDN)
    assert username == "dukamgr"
    search(page, "duka%")
    for name in ("dukaapi", "dukamgr"):
        expect(row(page, name).locator(".el-tag")).to_have_text("Pending Active")
    shots("operators-pending")

    # the Business Administrator cannot Set Password (greyed out)
    row(page, "dukaapi").get_by_role("button", name="Detail").click()
    expect(page.get_by_role("heading", name="Organization Operator Info")).to_be_visible()
    expect(page.get_by_role("button", name="Set Password", exact=True)).to_be_disabled()
    shots("detail-admin")

    # ---- Logout
    page.get_by_role("button", name="Logout").click()
    logout = page.get_by_role("dialog", name="Confirm")
    expect(logout).to_contain_text("Are you sure you want to log out?")
    logout.get_by_role("button", name="Yes").click()
    expect(page.locator("button#loginBtn")).to_be_visible()

    # ---- the web operator's first login: SMS credentials, forced change with two security questions
    log_in(page, sim, username, temporary, MANAGER_MSISDN)
    expect(page.get_by_role("heading", name="Change Password")).to_be_visible()
    page.get_by_label("Old password").fill(temporary)
    page.get_by_label("New password").fill(MANAGER_PASSWORD)
    page.get_by_label("Confirm password").fill(MANAGER_PASSWORD)
    choose(page, "Security Question 1", "What is the name of your first school?")
    page.get_by_label("Answer 1").fill("Kilimani Primary")
    choose(page, "Security Question 2", "In which town were you born?")
    page.get_by_label("Answer 2").fill("Nakuru")
    shots("first-login-change")
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("dialog", name="Confirm").get_by_role("button", name="Yes").click()
    expect(page.get_by_text("Password changed successfully")).to_be_visible()
    page.get_by_role("button", name="Return to login page").click()

    # ---- log in again as the web operator: Detail on the API operator → Set Password
    log_in(page, sim, "dukamgr", MANAGER_PASSWORD, MANAGER_MSISDN)
    close_stray_dialog(page)
    expect(page.get_by_role("banner")).to_contain_text("dukamgr")
    open_operator_list(page)
    expect(page.get_by_role("button", name="Create", exact=True)).to_be_disabled()
    search(page, "duka%")
    expect(row(page, "dukamgr").get_by_role("button", name="Detail")).to_have_count(0)
    row(page, "dukaapi").get_by_role("button", name="Detail").click()
    expect(page.locator("#identityTag")).to_contain_text("Pending Active")
    page.get_by_role("button", name="Set Password", exact=True).click()
    dialog = page.get_by_role("dialog", name="Set Password")
    dialog.get_by_label("Password", exact=True).fill(API_PASSWORD)
    dialog.get_by_label("Confirm Password").fill(API_PASSWORD)
    shots("set-password")
    dialog.get_by_role("button", name="Submit").click()
    expect(page.locator("#identityTag")).to_contain_text("Active")
    expect(page.locator("#identityTag")).not_to_contain_text("Pending")
    expect(dialog).to_be_hidden()
    expect(page.locator(".el-message--success")).to_contain_text("Operation succeeded.")
    shots("set-password-done")

    # ---- both Active in the list
    page.get_by_role("button", name="Back").click()
    search(page, "duka%")
    for name in ("dukaapi", "dukamgr"):
        expect(row(page, name).locator(".el-tag")).to_have_text("Active")
    shots("operators-active")

    assert page.evaluate("window.__sameDocument") is True  # every step ran in the single page
    operators = {op["username"]: op for op in sim.state()["orgs"][0]["operators"]}
    assert operators["dukaapi"]["status"] == "Active"
    assert operators["dukaapi"]["roles"] == list(API_ROLES)
    assert operators["dukamgr"]["status"] == "Active"
    assert operators["dukamgr"]["security_questions_set"] is True
    assert time.monotonic() - started < 30, "the browser flow should take well under 30 s"


def test_the_single_page_app_shows_the_control_surfaces_faults(page: Page, current: RunningSandbox) -> None:
    sim = current.control
    page.goto(current.url + "/orglogin.action")  # the classic path leads to #/login on this skin
    expect(page).to_have_url(re.compile(r"/#/login\?transaction_service="))
    log_in(page, sim, ADMIN_USERNAME, ADMIN_PASSWORD, ADMIN_MSISDN)
    close_stray_dialog(page)

    # rename_label acts on every view rendered after it; latency shows an Element Plus loading mask meanwhile
    sim.fault("rename_label", old="Organization Operator", new="Operator List")
    sim.fault("latency", path="/orgportal/v1/view/search", seconds=1.0, times=1)
    page.get_by_text("Search", exact=True).click()
    page.get_by_role("menuitem", name="Organization Operator", exact=True).click()
    expect(page.locator("#app-loading-mask")).to_be_visible()
    expect(page.get_by_role("heading", name="Operator List")).to_be_visible()
    expect(page.get_by_role("menuitem", name="Operator List", exact=True)).to_be_visible()
    expect(page.locator("#app-loading-mask")).to_have_count(0)
    sim.clear_faults()

    # error_after_commit: the change is made, the app shows the 500 as an error message and keeps its view
    page.get_by_text("My Preference", exact=True).click()
    page.get_by_role("menuitem", name="Basic Info", exact=True).click()
    before = sim.operator(ADMIN_USERNAME)["password_set_at"]
    sim.fault("error_after_commit", path="/orgportal/v1/preference/")
    page.get_by_role("button", name="Change Password").click()
    dialog = page.get_by_role("dialog", name="Change Password")
    dialog.get_by_label("Old password").fill(ADMIN_PASSWORD)
    dialog.get_by_label("New password").fill("Duka$Admin2031")
    dialog.get_by_label("Confirm password").fill("Duka$Admin2031")
    dialog.get_by_role("button", name="Submit").click()
    expect(page.locator(".el-message--error")).to_contain_text("System error. Please try again later.")
    expect(dialog).to_be_visible()
    assert sim.operator(ADMIN_USERNAME)["password_set_at"] != before

    # drop_after_commit: no answer at all; the app says "Network Error"
    sim.fault("drop_after_commit", path="/orgportal/v1/preference/")
    dialog.get_by_label("Old password").fill("Duka$Admin2031")
    dialog.get_by_label("New password").fill("Duka$Admin2032")
    dialog.get_by_label("Confirm password").fill("Duka$Admin2032")
    dialog.get_by_role("button", name="Submit").click()
    expect(page.locator(".el-message--error").filter(has_text="Network Error")).to_be_visible()

    # expire_sessions: the next click lands on the login view with the portal's message
    dialog.get_by_role("button", name="Cancel").click()
    sim.fault("expire_sessions")
    page.get_by_role("menuitem", name="Home", exact=True).click()
    expect(page.locator("#loginForm").locator("xpath=..").get_by_role("alert")).to_have_text(
        "Your session has expired. Please log in again."
    )
    expect(page).to_have_url(re.compile(r"#/login\?"))
    expect(page.locator("button#loginBtn")).to_be_visible()
