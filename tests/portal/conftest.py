"""Fixtures for the portal automation tier: a fresh sandbox portal per test and a setup runner."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from agent.context import Context
from agent.portal.human import HumanInput
from agent.sandbox.input import SandboxInput
from agent.sandbox.portal.server import RunningSandbox
from agent.secret import Secret
from agent.vault import Vault, open_vault
from agent.workflows.plan import SetupPlan, build_plan
from agent.workflows.progress import RecordingReporter
from agent.workflows.setup import SetupResult, run_setup
from tests.harness.sandbox import ADMIN_PASSWORD

PROFILE: dict[str, Any] = {
    "short_code": "600000",
    "admin_username": "sandboxadmin",
    "owner_msisdn": "0712 345 678",
    "web_operator": {
        "username": "duka_web",
        "first_name": "Wanjiku",
        "last_name": "Kamau",
        "id_number": "12345678",
        "email": "owner@example.co.ke",
        "date_of_birth": "1985-04-30",
    },
    "api_operator": {"username": "duka_api", "role_set": "osen-default"},
}
OWNER_MSISDN = "254712345678"


SKINS = ["classic", "current"]


@pytest.fixture(params=SKINS)
def skin(request: pytest.FixtureRequest) -> str:
    """Every portal automation test runs against both portal generations."""
    return str(request.param)


@pytest.fixture
def markup() -> str:
    """The sandbox's markup spec (``agent/sandbox/portal/markup.py``); override or parametrize to vary it."""
    return "default"


@pytest.fixture
def sandbox(chromium_path: str, skin: str, markup: str) -> Iterator[RunningSandbox]:
    from agent.sandbox.portal.server import start_sandbox

    portal = start_sandbox(mode="test", skin=skin, markup=markup)
    try:
        yield portal
    finally:
        portal.stop()


@pytest.fixture
def plan(sandbox: RunningSandbox) -> SetupPlan:
    return build_plan(PROFILE, portal_url=sandbox.url)


@pytest.fixture
def vault() -> Vault:
    return open_vault("memory")


@dataclasses.dataclass
class Runner:
    sandbox: RunningSandbox
    plan: SetupPlan
    vault: Vault
    browser: Any
    skin: str = "classic"
    timeout_ms: int = 10000

    def human(self) -> HumanInput:
        return SandboxInput(self.sandbox.url, wait_s=10)

    def __call__(
        self, *, human: HumanInput | None = None, password: str = ADMIN_PASSWORD, settings: dict[str, Any] | None = None
    ) -> SetupResult:
        merged = {
            "ui": self.skin,
            "headless": True,
            "timeout_ms": self.timeout_ms,
            "human_timeout_s": 30,
            **(settings or {}),
        }
        ctx = Context.build(
            vault=self.vault,
            reporter=RecordingReporter(),
            human=human or self.human(),
            admin_password=lambda _prompt: Secret(password),
            browser=self.browser,
            **merged,
        )
        return run_setup(ctx, self.plan)


@pytest.fixture
def run(sandbox: RunningSandbox, plan: SetupPlan, vault: Vault, browser: Any, skin: str) -> Runner:
    """Runs setup in a fresh context of pytest-playwright's browser (one Playwright per test session)."""
    return Runner(sandbox, plan, vault, browser, skin)


def operators(sandbox: RunningSandbox) -> dict[str, dict[str, Any]]:
    """The sandbox's operators by user name (from its control surface)."""
    state = sandbox.control.state()
    return {op["username"]: op for org in state["orgs"] for op in org["operators"]}


def portal_accepts(sandbox: RunningSandbox, username: str, password: Secret) -> bool:
    """Whether the sandbox holds ``password`` for ``username`` (checked in-process against its hash)."""
    from agent.sandbox.portal.passwords import verify_secret

    for op in sandbox.state.all_operators():
        if op.username == username:
            return verify_secret(password.reveal(), op.password_hash)
    return False


Check = Callable[[RunningSandbox], None]
