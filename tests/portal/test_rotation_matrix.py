"""The rotation flows against the sandbox portal in every markup mode of each skin (each structural axis alone, and
"hard": all of them together), like test_markup_matrix.py does for setup.

What runs where (the cost of CI matters: one run is one or two logins with captcha and OTP):

* ``single`` (the default strategy: Set Password on the API operator as the web operator) and ``web`` (the web
  operator changes its own password under My Preference) in every mode of both skins, plus "default" and "hard"
  (about 5-20 s a run);
* ``alternating`` (the Business Administrator creates a second API operator through the wizard, the old one is
  closed: about 10-60 s a run) in "default" and "hard" of both skins only.

The organisation is seeded through the sandbox's control surface (no browser setup first); no site is linked, so
the push and read-back of plugins have nothing to do and only the portal side runs. Each run must succeed, leave
the expected operators with the expected passwords, and let no wait run out its timeout.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import tomlkit

from agent import settings
from agent.context import Context
from agent.portal import locate
from agent.sandbox.input import SandboxInput
from agent.sandbox.portal import ADMIN_PASSWORD, ADMIN_USERNAME
from agent.sandbox.portal.markup import MARKUP_MODES
from agent.sandbox.portal.passwords import verify_secret
from agent.sandbox.portal.server import RunningSandbox
from agent.secret import Secret
from agent.vault import CredentialRef, Vault
from agent.workflows.progress import RecordingReporter
from agent.workflows.rotation import RotateRequest, RotateResult, run_rotation

pytestmark = pytest.mark.browser

WEB = "dukaweb"
API = "dukaapi"
WEB_PASSWORD = "WebStart#2030"
API_PASSWORD = "ApiStart#2030"

ALL_MODES = [(skin, mode) for skin, axes in MARKUP_MODES.items() for mode in ("default", *axes, "hard")]
SMOKE_MODES = [(skin, mode) for skin in MARKUP_MODES for mode in ("default", "hard")]


def _ids(modes: list[tuple[str, str]]) -> list[str]:
    return [f"{s}-{m}" for s, m in modes]


def _seed(sandbox: RunningSandbox, vault: Vault, skin: str) -> str:
    """A set-up organisation (Active web and API operators, passwords current in the vault) and its profile."""
    code = str(random.randint(300000, 899999))
    person = {"first_name": "Wanjiku", "last_name": "Kamau", "msisdn": "254712345678"}
    sandbox.control.seed(
        {
            "shortcode": code,
            "org_name": f"Duka {code}",
            "operators": [
                {
                    "username": WEB,
                    "channels": ["Web"],
                    "roles": ["Business Manager", "Set Restricted ORG API PASSWORD"],
                    "status": "Active",
                    "password": WEB_PASSWORD,
                    **person,
                },
                {
                    "username": API,
                    "channels": ["API"],
                    "roles": ["Org Reversals Initiator", "Transaction Status query ORG API"],
                    "status": "Active",
                    "password": API_PASSWORD,
                    **person,
                },
            ],
        }
    )
    settings.paths().ensure()
    data = {
        "default_profile": code,
        "settings": {"portal_url": sandbox.url, "ui": skin},
        "profiles": {
            code: {
                "short_code": code,
                "admin_username": ADMIN_USERNAME,
                "owner_msisdn": "0712345678",
                "web_operator": {
                    "username": WEB,
                    "first_name": "Wanjiku",
                    "last_name": "Kamau",
                    "id_number": "12345678",
                    "email": "owner@example.com",
                },
                "api_operator": {"username": API},
            }
        },
    }
    settings.paths().config_file.write_text(tomlkit.dumps(data), encoding="utf-8")
    vault.set_current(CredentialRef(code, "admin", ADMIN_USERNAME), Secret(ADMIN_PASSWORD), note="test")
    vault.set_current(CredentialRef(code, "web-operator", WEB), Secret(WEB_PASSWORD), note="test: seeded")
    vault.set_current(CredentialRef(code, "api-operator", API), Secret(API_PASSWORD), note="test: seeded")
    return code


def _rotate(sandbox: RunningSandbox, vault: Vault, browser: Any, skin: str, **request: Any) -> tuple[str, RotateResult]:
    code = _seed(sandbox, vault, skin)
    ctx = Context.build(
        vault=vault,
        reporter=RecordingReporter(),
        human=SandboxInput(sandbox.url, wait_s=10),
        browser=browser,
        ui=skin,
        headless=True,
        timeout_ms=10000,
        human_timeout_s=30,
    )
    locate.expired_waits(reset=True)
    result = run_rotation(ctx, RotateRequest(**request))
    return code, result


def _operators(sandbox: RunningSandbox, code: str) -> dict[str, Any]:
    with sandbox.state.lock:
        return {op.username: op for op in sandbox.state.orgs[code].operators.values()}


def _holds(sandbox: RunningSandbox, code: str, username: str, password: Secret | None) -> bool:
    assert password is not None
    return verify_secret(password.reveal(), _operators(sandbox, code)[username].password_hash)


def _finished(vault: Vault, code: str, kind: str, username: str, old: str) -> Secret:
    """The rotated credential: a new current, the old one previous, nothing pending, the journal closed."""
    ref = CredentialRef(code, kind, username)
    current = vault.get(ref)
    assert current is not None
    assert current.reveal() != old
    assert vault.get(ref, "pending") is None
    assert not (settings.paths().journal_dir / f"rotate-{code}.jsonl").exists(), "the rotation journal is still open"
    return current


@pytest.mark.parametrize(("skin", "markup"), ALL_MODES, ids=_ids(ALL_MODES))
def test_single_rotation_in_every_markup_mode(
    sandbox: RunningSandbox, vault: Vault, browser: Any, skin: str, markup: str
) -> None:
    code, result = _rotate(sandbox, vault, browser, skin, operator="api", strategy="single")
    expired = locate.expired_waits(reset=True)
    assert result.username == API, result
    new = _finished(vault, code, "api-operator", API, API_PASSWORD)
    assert vault.get(CredentialRef(code, "api-operator", API), "previous") == Secret(API_PASSWORD)
    assert _holds(sandbox, code, API, new), "the portal does not take the API operator's new password"
    assert {u: op.status for u, op in _operators(sandbox, code).items()} == {
        ADMIN_USERNAME: "Active",
        WEB: "Active",
        API: "Active",
    }
    assert expired == [], expired


@pytest.mark.parametrize(("skin", "markup"), ALL_MODES, ids=_ids(ALL_MODES))
def test_web_rotation_in_every_markup_mode(
    sandbox: RunningSandbox, vault: Vault, browser: Any, skin: str, markup: str
) -> None:
    code, result = _rotate(sandbox, vault, browser, skin, operator="web")
    expired = locate.expired_waits(reset=True)
    assert result.username == WEB, result
    new = _finished(vault, code, "web-operator", WEB, WEB_PASSWORD)
    assert _holds(sandbox, code, WEB, new), "the portal does not take the web operator's new password"
    assert _holds(sandbox, code, API, Secret(API_PASSWORD)), "the API operator was changed"
    assert expired == [], expired


@pytest.mark.parametrize(("skin", "markup"), SMOKE_MODES, ids=_ids(SMOKE_MODES))
def test_alternating_rotation_in_default_and_hard(
    sandbox: RunningSandbox, vault: Vault, browser: Any, skin: str, markup: str
) -> None:
    code, result = _rotate(sandbox, vault, browser, skin, operator="api", strategy="alternating")
    expired = locate.expired_waits(reset=True)
    fresh = API + "2"
    assert result.username == fresh, result
    assert result.closed == [API]
    current = vault.get(CredentialRef(code, "api-operator", fresh))
    assert _holds(sandbox, code, fresh, current), "the portal does not take the new API operator's password"
    assert {u: op.status for u, op in _operators(sandbox, code).items()} == {
        ADMIN_USERNAME: "Active",
        WEB: "Active",
        API: "Closed",
        fresh: "Active",
    }
    assert not (settings.paths().journal_dir / f"rotate-{code}.jsonl").exists()
    assert expired == [], expired
