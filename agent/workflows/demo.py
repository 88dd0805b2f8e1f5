"""``mpesa-agent demo``: the whole job, safely, on the embedded sandbox.

It starts the sandbox portal and the sandbox shop on loopback, points all of the agent's state at a temporary
directory, uses an explicitly ephemeral in-memory vault (never your keyring), runs ``setup`` headless with the
sandbox input provider, links the shop and pushes the API operator into its M-PESA plugin, then runs ``status``.
Everything is stopped and removed at the end, whatever happens.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import requests

from agent import settings
from agent.errors import AgentError
from agent.sandbox.input import SandboxInput
from agent.secret import Secret
from agent.vault import open_vault
from agent.workflows.plan import build_plan
from agent.workflows.progress import RecordingReporter, Reporter

DEMO_PROFILE: dict[str, Any] = {
    "short_code": "600000",
    "organization_name": "Sandbox Duka Ltd",
    "admin_username": "sandboxadmin",
    "owner_msisdn": "0712 345 678",
    "web_operator": {
        "username": "duka_web",
        "first_name": "Wanjiku",
        "last_name": "Kamau",
        "id_type": "National ID",
        "id_number": "12345678",
        "email": "owner@duka.example",
    },
    "api_operator": {"username": "duka_api", "role_set": "osen-default"},
}

REAL_PORTAL_DIFFERENCES = (
    "You type the 4-digit captcha and the SMS codes yourself (the demo reads them from the sandbox).",
    "The web operator's user name and temporary password arrive by SMS on your phone.",
    "Credentials go to your OS keyring instead of a throw-away memory vault.",
    "Your shop's application password comes from wp-admin (mpesa-agent link-site opens the page for you).",
    "Some labels, timings and messages of the real portal may differ; a changed screen stops with exit 6.",
)


@dataclasses.dataclass
class DemoResult:
    ui: str
    portal_url: str
    shop_url: str
    operators: list[dict[str, Any]]
    push: dict[str, Any]
    status: dict[str, Any]
    phases: dict[str, float]
    steps: list[dict[str, str]]
    differences: tuple[str, ...] = REAL_PORTAL_DIFFERENCES

    @property
    def ok(self) -> bool:
        return bool(self.push.get("ok")) and all(op["status"] == "Active" for op in self.operators)

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ok": self.ok}


@contextlib.contextmanager
def _private_state() -> Iterator[str]:
    """Point the agent's state at a temp dir (and the vault at memory) for the duration; remove it afterwards."""
    saved = {k: os.environ.get(k) for k in (settings.HOME_ENV, settings.CONFIG_ENV, "MPESA_AGENT_VAULT")}
    home = tempfile.mkdtemp(prefix="mpesa-agent-demo-")
    os.environ[settings.HOME_ENV] = home
    os.environ.pop(settings.CONFIG_ENV, None)
    os.environ["MPESA_AGENT_VAULT"] = "memory"
    try:
        yield home
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(home, ignore_errors=True)


def run_demo(*, ui: str = "classic", headless: bool = True, reporter: Reporter | None = None) -> DemoResult:
    from agent.sandbox import runner
    from agent.workflows import sites, status
    from agent.workflows.setup import run_setup

    recorder = RecordingReporter(reporter)
    phases: dict[str, float] = {}
    with _private_state(), runner.start(ui=ui, mode="demo") as sandbox:
        vault = open_vault("memory")
        recorder.info(f"Sandbox portal: {sandbox.portal_url}   sandbox shop: {sandbox.shop_url}")
        recorder.info(f"Vault: {vault.backend_name} (the demo never touches your keyring)")
        cfg = settings.load_config()
        cfg.data["default_profile"] = DEMO_PROFILE["short_code"]
        cfg.set_profile(DEMO_PROFILE["short_code"], {**DEMO_PROFILE, "portal_url": sandbox.portal_url})
        cfg.save()
        plan = build_plan(DEMO_PROFILE, portal_url=sandbox.portal_url)
        merged = {**cfg.settings, "ui": ui, "headless": headless, "timeout_ms": 15000, "human_timeout_s": 60}

        started = time.monotonic()
        setup_result = run_setup(
            plan,
            merged,
            human=SandboxInput(sandbox.portal_url),
            vault=vault,
            reporter=recorder,
            admin_password=lambda _p: Secret(runner.ADMIN_PASSWORD),
        )
        phases["setup"] = time.monotonic() - started

        started = time.monotonic()
        recorder.start("link-site", f"Link the shop {sandbox.shop_url}")
        app_password = _demo_app_password(sandbox.shop_url)
        link = sites.link_site(sandbox.shop_url, runner.SANDBOX_SHOP_USER, app_password, vault=vault)
        recorder.finish("link-site", "ok", f"{link.to_dict().get('plugin') or 'plugin found'}")
        phases["link-site"] = time.monotonic() - started

        started = time.monotonic()
        recorder.start("push", "Push the API operator into the shop's M-PESA plugin")
        report = sites.push(DEMO_PROFILE["short_code"], vault=vault)
        if not report.ok:
            problem = next((s.problem for s in report.sites if not s.ok), "unknown")
            recorder.finish("push", "failed", str(problem))
            raise AgentError(f"The demo push failed: {problem}")
        recorder.finish("push", "ok", "initiator written and read back")
        phases["push"] = time.monotonic() - started

        started = time.monotonic()
        report_status = status.collect_status(DEMO_PROFILE["short_code"], vault=vault)
        phases["status"] = time.monotonic() - started

        operators = [op.as_dict() for op in (setup_result.web, setup_result.api) if op is not None]
        return DemoResult(
            ui,
            sandbox.portal_url,
            sandbox.shop_url,
            operators,
            report.to_dict(),
            report_status.as_dict(),
            phases,
            recorder.as_list(),
        )


def _demo_app_password(shop_url: str) -> Secret:
    """The sandbox shop hands out an application password through its control surface (demo only)."""
    from agent.sandbox.runner import SANDBOX_SHOP_USER

    response = requests.post(
        f"{shop_url}/__sim/app-password", json={"user": SANDBOX_SHOP_USER, "name": "mpesa-agent demo"}, timeout=10
    )
    response.raise_for_status()
    return Secret(str(response.json()["password"]))
