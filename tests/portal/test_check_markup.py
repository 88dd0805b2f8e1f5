"""``portal check`` (read-only drift scan) against the sandbox in the default and the "hard" markup of each skin:
every must-show element is found (the captcha by its place, the grid by its headers, unnamed boxes by their text),
nothing is created, and the report exits 0."""

from __future__ import annotations

from typing import Any

import pytest

from agent.errors import ExitStatus
from agent.portal.check import check_portal
from agent.portal.session import PortalOptions, portal_session
from agent.sandbox.input import SandboxInput
from agent.sandbox.portal.server import RunningSandbox
from agent.secret import Secret
from tests.harness.sandbox import ADMIN_PASSWORD
from tests.portal.conftest import PROFILE, operators

pytestmark = pytest.mark.browser

MODES = [(skin, mode) for skin in ("classic", "current") for mode in ("default", "hard")]


@pytest.mark.parametrize(("skin", "markup"), MODES, ids=[f"{s}-{m}" for s, m in MODES])
def test_check_finds_every_element(sandbox: RunningSandbox, browser: Any, skin: str, markup: str) -> None:
    before = sorted(operators(sandbox))
    options = PortalOptions(url=sandbox.url + "/orglogin.action" if skin == "classic" else sandbox.url, ui=skin)
    with portal_session(options, SandboxInput(sandbox.url, wait_s=10), browser=browser) as portal:
        report = check_portal(portal, PROFILE["short_code"], PROFILE["admin_username"], Secret(ADMIN_PASSWORD))
    assert not report.stopped, report.stopped
    assert report.missing == [], [(i.screen, i.key) for i in report.missing]
    assert report.exit_status == ExitStatus.OK
    assert len(report.items) >= 10
    assert sorted(operators(sandbox)) == before  # read-only
