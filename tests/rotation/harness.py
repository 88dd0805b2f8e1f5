"""The rotation tests' world: the sandbox portal and shop served from the test process (so their state survives a
killed agent), a set-up starting point per test, the real ``mpesa-agent rotate`` run as a separate process, and the
invariant checks.

A starting point is what ``setup`` + ``link-site`` + ``push`` leave behind, made directly (seeding the portal and
the vault, linking the sandbox shop) so that a test does not pay for a browser setup: a fresh organisation (its own
short code, so vault items never collide) with the Business Administrator, an Active web operator (Business Manager
+ Set Restricted ORG API PASSWORD) and an Active API operator; their passwords are current in the real keyring
vault; the shop is linked and its plugin holds the API operator.

``PortalSpy`` wraps the sandbox state's password-changing methods and records every password the portal accepted,
so the tests can check that none of them ever went missing from the vault.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests
import tomlkit

from agent import settings
from agent.context import Context
from agent.journal import CRASH_ENV
from agent.sandbox.portal import ADMIN_PASSWORD as SANDBOX_ADMIN_PASSWORD
from agent.sandbox.portal import ADMIN_USERNAME as SANDBOX_ADMIN
from agent.sandbox.portal.passwords import verify_secret
from agent.sandbox.portal.state import PortalState
from agent.sandbox.runner import SANDBOX_SHOP_USER, Sandbox
from agent.secret import Secret
from agent.vault import LABELS, CredentialRef, Vault
from agent.workflows import sites

REPO = Path(__file__).resolve().parents[2]
WEB = "dukaweb"
API = "dukaapi"
WEB_ROLES = ["Business Manager", "Set Restricted ORG API PASSWORD"]
API_ROLES = ["Org Reversals Initiator", "Transaction Status query ORG API"]
START_WEB_PASSWORD = "WebStart#2030"
START_API_PASSWORD = "ApiStart#2030"
OWNER_MSISDN = "254712345678"
_used_codes: set[str] = set()


class PortalSpy:
    """Records (short code, user name, password) for every password the sandbox portal accepted."""

    def __init__(self, state: PortalState) -> None:
        self.sets: list[tuple[str, str, str]] = []
        self.after_set: list[Any] = []  # callables run after a committed Set Password (fault injection)
        self._lock = threading.Lock()
        set_api_password = state.set_api_password
        change_password = state.change_password

        def spy_set(actor: Any, target_id: str, password: str, confirm: str) -> None:
            set_api_password(actor, target_id, password, confirm)
            target = state.operator(target_id)
            assert target is not None
            with self._lock:
                self.sets.append((target.org_shortcode, target.username, password))
                hooks = list(self.after_set)
            for hook in hooks:
                hook(target.username)

        def spy_change(session: Any, *, old: str, new: str, confirm: str, questions: Any = None) -> None:
            change_password(session, old=old, new=new, confirm=confirm, questions=questions)
            op = state.session_operator(session)
            assert op is not None
            with self._lock:
                self.sets.append((op.org_shortcode, op.username, new))

        state.set_api_password = spy_set  # type: ignore[method-assign]
        state.change_password = spy_change  # type: ignore[method-assign]
        change_own_password = state.change_own_password

        def spy_change_own(session: Any, *, old: str, new: str, confirm: str) -> None:
            change_own_password(session, old=old, new=new, confirm=confirm)
            op = state.session_operator(session)
            assert op is not None
            with self._lock:
                self.sets.append((op.org_shortcode, op.username, new))

        state.change_own_password = spy_change_own  # type: ignore[method-assign]

    def for_org(self, short_code: str) -> list[tuple[str, str]]:
        with self._lock:
            return [(u, p) for s, u, p in self.sets if s == short_code]


@dataclasses.dataclass
class World:
    sandbox: Sandbox
    spy: PortalSpy

    @property
    def state(self) -> PortalState:
        return self.sandbox.portal.state

    def shop(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(method, f"{self.sandbox.shop_url}/__sim/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def shop_fault(self, kind: str, **params: Any) -> None:
        self.shop("POST", "fault", {"kind": kind, **params})

    def plugin(self) -> tuple[str, str]:
        values = self.shop("GET", "gateway/mpesa")["values"]
        return str(values.get("initiator")), str(values.get("password"))


@dataclasses.dataclass
class Start:
    """One test's organisation."""

    short_code: str
    home: Path

    def ref(self, username: str) -> CredentialRef:
        kind = "web-operator" if username == WEB else "api-operator"
        return CredentialRef(self.short_code, kind, username)

    @property
    def journal(self) -> Path:
        return settings.paths().journal_dir / f"rotate-{self.short_code}.jsonl"


def new_short_code() -> str:
    while True:
        code = str(random.randint(300000, 899999))
        if code not in _used_codes:
            _used_codes.add(code)
            return code


def fresh_start(world: World, vault: Vault, home: Path) -> Start:
    """Seed a set-up organisation, store its passwords, link and push the shop (see the module docstring)."""
    control = world.sandbox.portal.control
    control.clear_faults()
    control.settings(password_max_age_days=90, dormancy_days=3650)
    code = new_short_code()
    control.seed(
        {
            "shortcode": code,
            "org_name": f"Duka {code}",
            "operators": [
                {
                    "username": WEB,
                    "channels": ["Web"],
                    "roles": WEB_ROLES,
                    "status": "Active",
                    "password": START_WEB_PASSWORD,
                    "first_name": "Wanjiku",
                    "last_name": "Kamau",
                    "msisdn": OWNER_MSISDN,
                },
                {
                    "username": API,
                    "channels": ["API"],
                    "roles": API_ROLES,
                    "status": "Active",
                    "password": START_API_PASSWORD,
                    "first_name": "Wanjiku",
                    "last_name": "Kamau",
                    "msisdn": OWNER_MSISDN,
                },
            ],
        }
    )
    settings.paths().ensure()
    data = {
        "default_profile": code,
        "settings": {
            "portal_url": world.sandbox.portal_url,
            "ui": "classic",
            "headless": True,
            "timeout_ms": 6000,
            "human_timeout_s": 20,
        },
        "profiles": {
            code: {
                "short_code": code,
                "admin_username": SANDBOX_ADMIN,
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
    ctx = Context.build(vault=vault)
    start = Start(code, home)
    vault.set_current(CredentialRef(code, "admin", SANDBOX_ADMIN), Secret(SANDBOX_ADMIN_PASSWORD), note="test")
    vault.set_current(start.ref(WEB), Secret(START_WEB_PASSWORD), note="test: seeded")
    vault.set_current(start.ref(API), Secret(START_API_PASSWORD), note="test: seeded")
    world.shop("POST", "reset")
    app = world.shop("POST", "app-password", {"user": SANDBOX_SHOP_USER, "name": f"mpesa-agent {code}"})
    sites.link_site(ctx, world.sandbox.shop_url, SANDBOX_SHOP_USER, Secret(app["password"]))
    sites.push(ctx, code)
    assert world.plugin() == (API, START_API_PASSWORD)
    return start


ROTATE = ("rotate", "--captcha-from", "sandbox", "--codes-from", "sandbox", "--json")


def run_agent(*args: str, crash_at: str | None = None, timeout: float = 150) -> tuple[int, dict[str, Any], str]:
    """Run the real ``mpesa-agent rotate ARGS --json`` (captchas and SMS codes from the sandbox); returns (exit
    status or -signal, its JSON answer: the result, or the error with its message and hint, and stderr)."""
    env = dict(os.environ)
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    proc = subprocess.run(
        [sys.executable, "-m", "agent", *ROTATE, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    answer: dict[str, Any] = {}
    if proc.stdout.strip().startswith("{"):
        answer = json.loads(proc.stdout)
    return proc.returncode, answer, proc.stderr


# -- checks -----------------------------------------------------------------------------------------------------------


def portal_operator(world: World, start: Start, username: str) -> Any:
    with world.state.lock:
        org = world.state.orgs[start.short_code]
        return org.by_username(username)


def statuses(world: World, start: Start) -> dict[str, str]:
    with world.state.lock:
        return {op.username: op.status for op in world.state.orgs[start.short_code].operators.values()}


def versions(vault: Vault, ref: CredentialRef) -> dict[str, str]:
    out = {}
    for label in LABELS:
        value = vault.get(ref, label)
        if value is not None:
            out[label] = value.reveal()
    return out


def check_never_lost(world: World, start: Start, vault: Vault) -> None:
    """Every password the portal ever accepted for this organisation is in the vault, and so is each operator's
    password on the portal now (the working credential is never lost)."""
    for username, password in world.spy.for_org(start.short_code):
        held = versions(vault, start.ref(username))
        assert password in held.values(), f"a password set on the portal for {username} is not in the vault"
    for username in statuses(world, start):
        if username == SANDBOX_ADMIN:
            continue
        op = portal_operator(world, start, username)
        if op.password_hash is None:
            continue
        held = versions(vault, start.ref(username))
        assert any(verify_secret(p, op.password_hash) for p in held.values()), (
            f"the portal's password of {username} is not in the vault (versions held: {sorted(held)})"
        )


def check_end_state(world: World, start: Start, vault: Vault, *, in_use: str, expected: dict[str, str]) -> None:
    """The finished state: exactly the expected operators, portal and plugin agree with the vault's current."""
    assert statuses(world, start) == {SANDBOX_ADMIN: "Active", **expected}
    for username in (WEB, in_use):
        op = portal_operator(world, start, username)
        current = vault.get(start.ref(username))
        assert current is not None
        assert verify_secret(current.reveal(), op.password_hash), f"the portal does not take {username}'s current"
        assert vault.get(start.ref(username), "pending") is None
    current_api = vault.get(start.ref(in_use))
    assert current_api is not None
    assert world.plugin() == (in_use, current_api.reveal())
    assert settings.load_config().profiles[start.short_code]["api_operator"]["username"] == in_use
    assert not start.journal.exists(), "the rotation journal is still open"
    check_never_lost(world, start, vault)
