"""The current skin's markup modes in real Chromium: in every mode (and "hard") a person logs in, closes the notice,
opens Search › Organization Operator, creates an API operator and finds it in the grid; the state changes exactly
as in the default markup. This checks each mode's script (late views, the notice that pops up a moment after login,
collapsed sub-menus, toasts, the extra confirmation) works.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from agent.sandbox.portal.markup import MARKUP_MODES
from agent.sandbox.portal.server import RunningSandbox, start_sandbox
from tests.harness.sandbox import session_id
from tests.sandbox.test_current_browser import create_operator

pytestmark = pytest.mark.browser

API_ROLES = ("Transaction Status query ORG API", "Balance Query ORG API")


@pytest.fixture(params=["default", *MARKUP_MODES["current"], "hard"])
def portal(request: pytest.FixtureRequest, chromium_path: str) -> Iterator[RunningSandbox]:
    served = start_sandbox(mode="test", skin="current", markup=str(request.param))
    try:
        yield served
    finally:
        served.stop()


def test_a_person_creates_an_api_operator_in_every_current_markup(page: Page, portal: RunningSandbox) -> None:
    control = portal.control
    page.goto(portal.login_url)
    expect(page.locator("#loginForm")).to_have_attribute("data-settled", "true")
    page.get_by_label("Short Code").fill("600000")
    page.get_by_label("User Name").fill("sandboxadmin")
    page.get_by_label("Password", exact=True).fill("Sandbox#2030")
    page.get_by_label("Verification Code").fill(control.captcha(session_id(page), wait=10))
    before = control.last_message_id()
    page.get_by_role("button", name="Login").click()
    otp_form = page.locator("form#OTP-form")
    for index, digit in enumerate(control.wait_for_otp("254708374149", after=before)):
        otp_form.locator(f'input[data-index="{index}"]').fill(digit)
    otp_form.get_by_role("button", name="Confirm").click()

    notice = page.get_by_role("dialog", name="Notice")
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="OK").click()
    expect(notice).to_be_hidden()

    search = page.locator("li.el-sub-menu").filter(has=page.get_by_text("Search", exact=True))
    if search.get_attribute("aria-expanded") != "true":
        page.get_by_text("Search", exact=True).click()
    page.get_by_role("menuitem", name="Organization Operator", exact=True).click()
    expect(page.get_by_role("heading", name="Organization Operator")).to_be_visible()

    create_operator(
        page, None, channel="API", username="markupapi", roles=API_ROLES, first="Markup", msisdn="254708374149"
    )
    page.get_by_label("User Name", exact=True).fill("markupapi")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search/organizationOperator\?.*username="))  # hash or history route
    expect(page.get_by_role("row").filter(has=page.get_by_text("markupapi", exact=True))).to_have_count(1)

    created = {op["username"]: op for org in control.state()["orgs"] for op in org["operators"]}["markupapi"]
    assert created["status"] == "Pending Active"
    assert sorted(created["roles"]) == sorted(API_ROLES)
