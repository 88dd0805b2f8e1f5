"""In real Chromium, as a person would: log in to the sandbox shop, add an application password on the Profile page,
and see the REST API accept it (the password ``mpesa-agent link-site`` asks for)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Page, expect

from agent.sandbox import runner

pytestmark = pytest.mark.browser


@pytest.fixture
def sandbox() -> Iterator[runner.Sandbox]:
    with runner.start(mode="demo") as running:
        yield running


def test_a_person_adds_an_application_password_on_the_profile_page(page: Page, sandbox: runner.Sandbox) -> None:
    page.goto(sandbox.app_password_url)
    page.fill("#user_login", runner.SANDBOX_SHOP_USER)
    page.fill("#user_pass", runner.SANDBOX_SHOP_PASSWORD)
    page.click("#wp-submit")
    expect(page.get_by_role("heading", name="Application Passwords")).to_be_visible()
    page.get_by_label("New Application Password Name").fill("mpesa-agent")
    page.get_by_role("button", name="Add New Application Password").click()
    shown = page.locator("#new-application-password-value")
    expect(shown).to_be_visible()
    password = shown.input_value()
    assert len(password.replace(" ", "")) == 24
    me = requests.get(
        sandbox.shop_url + "/wp-json/wp/v2/users/me", auth=(runner.SANDBOX_SHOP_USER, password), timeout=10
    )
    assert me.status_code == 200
    assert me.json()["slug"] == runner.SANDBOX_SHOP_USER
    page.goto(sandbox.plugin_settings_url)
    expect(page.locator("#settings-never-saved")).to_be_visible()
    expect(page.locator("#woocommerce_mpesa_initiator")).to_have_text("test")
