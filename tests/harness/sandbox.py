"""Start/stop the sandbox portal for tests, and browser helpers that read its captcha and OTP.

Used by tests/sandbox and by the portal automation's tests::

    with running_sandbox() as portal:            # a fresh portal on 127.0.0.1:<free port>, /__sim/ enabled
        page.goto(portal.login_url)
        code = read_captcha(page, portal.control)  # waits for the image, reads this page's session's code
        ...
        otp = portal.control.wait_for_otp("254708374149", after=before)

The portal runs in this test process (a thread), so a subprocess under test can be killed and restarted against
the same state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Frame, FrameLocator, Page, expect

from agent.sandbox.portal import ADMIN_MSISDN, ADMIN_PASSWORD, ADMIN_USERNAME, SHORTCODE
from agent.sandbox.portal.app import Mode
from agent.sandbox.portal.client import SandboxControl
from agent.sandbox.portal.server import RunningSandbox, start_sandbox
from agent.sandbox.portal.state import PortalState

COOKIE = "JSESSIONID"
__all__ = [
    "ADMIN_MSISDN",
    "ADMIN_PASSWORD",
    "ADMIN_USERNAME",
    "SHORTCODE",
    "login_in_browser",
    "read_captcha",
    "running_sandbox",
    "session_id",
    "start",
    "tab_frame",
]


def start(*, mode: Mode = "test", state: PortalState | None = None, **seed: Any) -> RunningSandbox:
    """Start a sandbox portal (test mode); with seed keywords (see seed.py) apply that seed first."""
    portal = start_sandbox(mode=mode, state=state)
    if seed:
        portal.control.seed(seed)
    return portal


@contextmanager
def running_sandbox(*, mode: Mode = "test", state: PortalState | None = None, **seed: Any) -> Iterator[RunningSandbox]:
    portal = start(mode=mode, state=state, **seed)
    try:
        yield portal
    finally:
        portal.stop()


def session_id(page: Page) -> str | None:
    """The page's portal session id (the JSESSIONID cookie)."""
    for cookie in page.context.cookies():
        if cookie.get("name") == COOKIE:
            return cookie.get("value")
    return None


def read_captcha(page: Page | Frame, control: SandboxControl) -> str:
    """Wait until the login page's captcha image has loaded, then read that session's code."""
    image = page.get_by_alt_text("Verification code image")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    owner = page if isinstance(page, Page) else page.page
    return control.captcha(session_id(owner))


def tab_frame(page: Page, title: str) -> FrameLocator:
    """The work area of the tab with this title (each tab is an iframe titled like the tab)."""
    return page.frame_locator(f'iframe[title="{title}"]')


def login_in_browser(
    page: Page,
    control: SandboxControl,
    *,
    username: str = ADMIN_USERNAME,
    password: str = ADMIN_PASSWORD,
    msisdn: str = ADMIN_MSISDN,
    shortcode: str = SHORTCODE,
) -> None:
    """Fill the login page by its labels, pass captcha and OTP; ends on the page after the OTP."""
    page.get_by_label("Short Code").fill(shortcode)
    page.get_by_label("User Name").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Verification Code").fill(read_captcha(page, control))
    before = control.last_message_id()
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("heading", name="OTP Verification")).to_be_visible()
    page.get_by_label("OTP", exact=True).fill(control.wait_for_otp(msisdn, after=before))
    page.get_by_role("button", name="Submit").click()
