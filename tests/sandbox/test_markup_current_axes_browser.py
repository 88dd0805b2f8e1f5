"""The current skin's Element Plus structures in real Chromium, one markup axis at a time: popup sub-menus that open
only on hover (menu-hover), listboxes rendered at the end of <body> (select-teleport), history-API routes that
survive a reload (routes-history), and login fields cleared each time the captcha loads (captcha-clears). Each test
also shows what the default markup does differently, so it fails if the axis stops changing the structure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from agent.sandbox.portal import ADMIN_MSISDN, ADMIN_PASSWORD, ADMIN_USERNAME, SHORTCODE
from agent.sandbox.portal.server import RunningSandbox, start_sandbox
from tests.harness.sandbox import read_captcha
from tests.sandbox.test_current_browser import close_stray_dialog, log_in, open_operator_list

pytestmark = pytest.mark.browser

#: Whether an element is outside the app's root and inside the last element of <body> (where Element Plus puts
#: its poppers), and outside every form.
AT_BODY_END = (
    "e => !document.getElementById('app').contains(e) && document.body.lastElementChild.contains(e)"
    " && !e.closest('form')"
)


@pytest.fixture
def portal(request: pytest.FixtureRequest, chromium_path: str) -> Iterator[RunningSandbox]:
    served = start_sandbox(mode="test", skin="current", markup=str(request.param))
    try:
        yield served
    finally:
        served.stop()


def logged_in(page: Page, portal: RunningSandbox) -> None:
    page.goto(portal.login_url)
    log_in(page, portal.control, ADMIN_USERNAME, ADMIN_PASSWORD, ADMIN_MSISDN)
    close_stray_dialog(page)


# Clicking a sub-menu's title, in the page itself (no pointer moves): the click handler runs at once, so whether the
# sub-menu opened is known when the call returns.
CLICK_TITLE = "t => { t.click(); return t.closest('[data-sub-menu]').getAttribute('aria-expanded'); }"


@pytest.mark.parametrize("portal", ["menu-collapsed"], indirect=True)
def test_a_collapsed_sub_menu_opens_on_click(page: Page, portal: RunningSandbox) -> None:
    logged_in(page, portal)
    title = page.locator("[data-sub-menu-title]").filter(has=page.get_by_text("Search", exact=True))
    assert title.evaluate(CLICK_TITLE) == "true"
    expect(page.get_by_role("menuitem", name="Organization Operator", exact=True)).to_be_visible()


@pytest.mark.parametrize("portal", ["menu-hover"], indirect=True)
def test_menu_hover_sub_menus_are_popups_at_the_end_of_the_body_opened_only_by_hovering(
    page: Page, portal: RunningSandbox
) -> None:
    logged_in(page, portal)
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)
    item = page.get_by_role("menuitem", name="Organization Operator", exact=True)
    expect(item).to_be_hidden()
    hidden_item = page.get_by_role("menuitem", name="Organization Operator", exact=True, include_hidden=True)
    assert hidden_item.evaluate(AT_BODY_END)
    title = page.locator("[data-sub-menu-title]").filter(has=page.get_by_text("Search", exact=True))
    assert title.evaluate(CLICK_TITLE) == "false"  # a click does not open it
    expect(item).to_be_hidden()

    title.hover()
    expect(item).to_be_visible()
    expect(page.locator("li.el-sub-menu").filter(has=title)).to_have_attribute("aria-expanded", "true")
    page.mouse.move(900, 500)  # the pointer leaves the title and the popup: it closes a moment later
    expect(item).to_be_hidden()

    title.hover()
    item.click()  # the pointer crosses to the popup, which stays open
    expect(page.get_by_role("heading", name="Organization Operator")).to_be_visible()


@pytest.mark.parametrize("portal", ["default"], indirect=True)
def test_by_default_a_selects_options_are_inside_its_form(page: Page, portal: RunningSandbox) -> None:
    logged_in(page, portal)
    open_operator_list(page)
    combobox = page.get_by_label("Status", exact=True)
    listbox = page.locator(f"[id='{combobox.get_attribute('aria-controls')}']")
    assert listbox.evaluate("l => !!l.closest('form')")
    assert not listbox.evaluate(AT_BODY_END)


@pytest.mark.parametrize("portal", ["select-teleport"], indirect=True)
def test_select_teleport_renders_the_options_in_a_popper_at_the_end_of_the_body(
    page: Page, portal: RunningSandbox
) -> None:
    logged_in(page, portal)
    open_operator_list(page)
    combobox = page.get_by_label("Status", exact=True)
    expect(combobox).to_have_attribute("role", "combobox")
    listbox = page.locator(f"[id='{combobox.get_attribute('aria-controls')}']")
    expect(listbox).to_have_attribute("role", "listbox")
    expect(listbox).to_be_hidden()
    assert listbox.evaluate(AT_BODY_END)

    combobox.click()
    expect(combobox).to_have_attribute("aria-expanded", "true")
    expect(listbox).to_be_visible()
    box = combobox.bounding_box()
    under = listbox.bounding_box()
    assert box is not None
    assert under is not None
    assert under["y"] >= box["y"] + box["height"] - 1  # shown under the field, though rendered elsewhere
    listbox.get_by_role("option", name="Active", exact=True).click()
    expect(listbox).to_be_hidden()
    expect(combobox).to_have_value("")  # the choice shows beside the input, as in Element Plus 2.5+
    field = page.locator(".el-select").filter(has=combobox)
    expect(field).to_have_text("Active")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"[?&]status=Active"))
    expect(page.locator(".el-select").filter(has=page.get_by_label("Status", exact=True))).to_have_text("Active")


@pytest.mark.parametrize("portal", ["routes-history"], indirect=True)
def test_routes_history_uses_paths_that_survive_a_reload(page: Page, portal: RunningSandbox) -> None:
    page.goto(portal.login_url)  # /orglogin.action leads to /login?...
    expect(page).to_have_url(re.compile(r"^http://[^/]+/login\?transaction_service="))
    log_in(page, portal.control, ADMIN_USERNAME, ADMIN_PASSWORD, ADMIN_MSISDN)
    expect(page).to_have_url(re.compile(r"^http://[^/#]+/home$"))
    close_stray_dialog(page)
    open_operator_list(page)
    expect(page).to_have_url(re.compile(r"^http://[^/#]+/search/organizationOperator$"))
    page.reload()
    expect(page.get_by_role("heading", name="Organization Operator")).to_be_visible()
    expect(page).to_have_url(re.compile(r"^http://[^/#]+/search/organizationOperator$"))
    page.goto(portal.url + "/myPreference/basicInfo")
    expect(page.get_by_role("heading", name="My Preference")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Organization Operator")).to_be_visible()
    assert "#" not in page.url


LOGIN_FIELDS = (("Short Code", SHORTCODE), ("User Name", ADMIN_USERNAME), ("Password", ADMIN_PASSWORD))


def fill_everything(page: Page, code: str) -> None:
    for label, value in LOGIN_FIELDS:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Verification Code").fill(code)


def expect_emptied(page: Page) -> None:
    for label in (*(label for label, _value in LOGIN_FIELDS), "Verification Code"):
        expect(page.get_by_label(label, exact=True)).to_have_value("")


@pytest.mark.parametrize("portal", ["default"], indirect=True)
def test_by_default_a_typed_verification_code_keeps_the_fields(page: Page, portal: RunningSandbox) -> None:
    page.goto(portal.login_url)
    fill_everything(page, "")
    page.get_by_label("Verification Code").fill(read_captcha(page, portal.control))
    expect(page.locator("#loginForm")).to_have_attribute("data-settled", "true")
    expect(page.get_by_label("Short Code")).to_have_value(SHORTCODE)


@pytest.mark.parametrize("portal", ["captcha-clears"], indirect=True)
def test_captcha_clears_empties_the_login_fields_each_time_the_captcha_loads(
    page: Page, portal: RunningSandbox
) -> None:
    control = portal.control
    page.goto(portal.login_url)
    fill_everything(page, "1234")  # typed as soon as the form shows, a code too: all of it goes once the captcha loads
    expect(page.locator("#loginForm")).to_have_attribute("data-settled", "true")
    expect_emptied(page)

    fill_everything(page, "1234")
    page.get_by_role("button", name="Refresh").click()  # a new picture: cleared once more
    expect_emptied(page)
    expect(page.locator("#loginForm")).to_have_attribute("data-settled", "true")

    fill_everything(page, read_captcha(page, control))  # typed after it settled: kept, and the login goes on
    expect(page.get_by_label("Short Code")).to_have_value(SHORTCODE)
    page.get_by_role("button", name="Login").click()
    expect(page.locator("form#OTP-form")).to_be_visible()
