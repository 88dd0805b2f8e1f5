"""``mpesa-agent demo``: the whole job, safely, on the embedded sandbox.

It starts the sandbox portal and the sandbox shop on loopback, points all of the agent's state at a temporary
directory, uses an explicitly ephemeral in-memory vault (never your keyring), runs ``setup`` headless with the
sandbox input provider, links the shop and pushes the API operator into its M-PESA plugin, then runs ``status``.
Everything is stopped and removed at the end, whatever happens.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from agent.context import Context
from agent.errors import AgentError, ExitStatus
from agent.sandbox.input import SandboxInput
from agent.secret import Secret
from agent.settings import Paths
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

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.OK if self.ok else ExitStatus.VERIFY

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ok": self.ok, "exit_status": int(self.exit_status)}


@contextlib.contextmanager
def _temporary_home() -> Iterator[Path]:
    """A private temporary home for the demo's configuration and journals, removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="mpesa-agent-demo-"))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def demo_context(home: Path, portal_url: str, *, ui: str, headless: bool, reporter: Reporter) -> Context:
    """The demo's context: state under ``home``, an in-memory vault, the sandbox as the human, its profile saved."""
    from agent.sandbox import runner

    ctx = Context.build(
        paths=Paths.under(home).ensure(),
        vault_kind="memory",
        reporter=reporter,
        human=SandboxInput(portal_url),
        admin_password=lambda _prompt: Secret(runner.ADMIN_PASSWORD),
        ui=ui,
        headless=headless,
        timeout_ms=15000,
        human_timeout_s=60,
    )
    ctx.config.set_default_profile(DEMO_PROFILE["short_code"])
    ctx.config.set_profile(DEMO_PROFILE["short_code"], {**DEMO_PROFILE, "portal_url": portal_url})
    ctx.config.save()
    return ctx


def run_demo(*, ui: str = "classic", headless: bool = True, reporter: Reporter | None = None) -> DemoResult:
    """The whole job on the sandbox with a throw-away home and vault (the caller's environment is not touched)."""
    from agent.sandbox import runner
    from agent.workflows import sites, status
    from agent.workflows.setup import run_setup

    recorder = RecordingReporter(reporter)
    phases: dict[str, float] = {}
    with _temporary_home() as home, runner.start(ui=ui, mode="demo") as sandbox:
        ctx = demo_context(home, sandbox.portal_url, ui=ui, headless=headless, reporter=recorder)
        recorder.info(f"Sandbox portal: {sandbox.portal_url}   sandbox shop: {sandbox.shop_url}")
        recorder.info(f"Vault: {ctx.vault.backend_name} (the demo never touches your keyring)")
        plan = build_plan(DEMO_PROFILE, portal_url=sandbox.portal_url)

        started = time.monotonic()
        setup_result = run_setup(ctx, plan)
        phases["setup"] = time.monotonic() - started

        started = time.monotonic()
        recorder.start("link-site", f"Link the shop {sandbox.shop_url}")
        app_password = _demo_app_password(sandbox.shop_url)
        quiet = ctx.replace(reporter=RecordingReporter())
        link = sites.link_site(quiet, sandbox.shop_url, runner.SANDBOX_SHOP_USER, app_password)
        recorder.finish("link-site", "ok", f"{link.to_dict().get('plugin') or 'plugin found'}")
        phases["link-site"] = time.monotonic() - started

        started = time.monotonic()
        recorder.start("push", "Push the API operator into the shop's M-PESA plugin")
        report = sites.push(quiet, DEMO_PROFILE["short_code"])
        if not report.ok:
            problem = next((s.problem for s in report.sites if not s.ok), "unknown")
            recorder.finish("push", "failed", str(problem))
            raise AgentError(f"The demo push failed: {problem}")
        recorder.finish("push", "ok", "initiator written and read back")
        phases["push"] = time.monotonic() - started

        started = time.monotonic()
        report_status = status.collect_status(quiet, DEMO_PROFILE["short_code"])
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
