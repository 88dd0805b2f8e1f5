"""The web operator's own password change under My Preference, driven in real Chromium against the sandbox
(``portal.maintenance.change_own_password``): a wrong old password is refused with the portal's reason and changes
nothing; the right one changes it. The whole web rotation through it runs in test_crash.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from agent.errors import PortalError
from agent.portal.session import PortalOptions, portal_session
from agent.sandbox.input import SandboxInput
from agent.sandbox.portal.passwords import verify_secret
from agent.secret import Secret
from agent.vault import Vault
from tests.rotation.harness import START_WEB_PASSWORD, WEB, Start, World, portal_operator

pytestmark = [pytest.mark.browser, pytest.mark.keyring]


def test_change_own_password_in_my_preference(world: World, start: Start, vault: Vault, browser: Browser) -> None:
    human = SandboxInput(world.sandbox.portal_url, wait_s=10)
    options = PortalOptions(url=world.sandbox.portal_url, ui="classic", timeout_ms=6000)
    with portal_session(options, human, browser=browser) as portal:
        portal.login(start.short_code, WEB, Secret(START_WEB_PASSWORD), purpose="test")
        with pytest.raises(PortalError, match="old password is wrong"):
            portal.maintenance.change_own_password(Secret("Wrong#12345"), Secret("New#12345abc"))
        assert verify_secret(START_WEB_PASSWORD, portal_operator(world, start, WEB).password_hash)
        portal.maintenance.change_own_password(Secret(START_WEB_PASSWORD), Secret("New#12345abc"))
        assert portal.logged_in_as == WEB, "the operator stays logged in"
    assert verify_secret("New#12345abc", portal_operator(world, start, WEB).password_hash)
