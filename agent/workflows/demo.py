"""``mpesa-agent demo``: the whole job, safely, on the embedded sandbox.

It starts the sandbox portal and the sandbox shop on loopback, points all of the agent's state at a temporary
directory, uses an explicitly ephemeral in-memory vault (never your keyring), runs ``setup`` headless with the
sandbox input provider, links the shop and pushes the API operator into its M-PESA plugin, goes live against the
sandbox's mock Daraja (its published sandbox app's keys and passkey), has the shop's M-PESA plugin stand-in run a
Transaction Status query (its result, 0, is shown), runs the go-live checks doctor runs, then ``status``.
``force_result_code`` (the mock Daraja's fault knob, e.g. 2001) makes every Daraja query answer that code, which
the go-live checks then explain. Everything is stopped and removed at the end, whatever happens.
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
    golive: dict[str, Any] = dataclasses.field(default_factory=dict)
    transaction_status: dict[str, Any] = dataclasses.field(default_factory=dict)
    golive_checks: list[dict[str, str]] = dataclasses.field(default_factory=list)
    differences: tuple[str, ...] = REAL_PORTAL_DIFFERENCES

    @property
    def ok(self) -> bool:
        return (
            bool(self.push.get("ok"))
            and all(op["status"] == "Active" for op in self.operators)
            and bool(self.golive.get("ok"))
            and self.transaction_status.get("result_code") == "0"
        )

    @property
    def golive_summary(self) -> list[str]:
        """The go-live lines of the demo's summary."""
        lines = []
        if self.golive:
            verdict = "written and read back" if self.golive.get("ok") else "NOT verified"
            lines.append(f"go-live ({self.golive.get('environment')}, mock Daraja): keys verified, {verdict}")
        if self.transaction_status:
            ts = self.transaction_status
            lines.append(
                f"Transaction Status query from the shop: result {ts.get('result_code')} ({ts.get('result_desc')})"
            )
        for check in self.golive_checks:
            if check["status"] != "ok":
                lines.append(f"go-live check {check['title']}: {check['status']}: {check['evidence']} {check['fix']}")
        return lines

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.OK if self.ok else ExitStatus.VERIFY

    def as_dict(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "golive_summary": self.golive_summary,
            "ok": self.ok,
            "exit_status": int(self.exit_status),
        }


@contextlib.contextmanager
def _temporary_home() -> Iterator[Path]:
    """A private temporary home for the demo's configuration and journals, removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="mpesa-agent-demo-"))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def demo_context(
    home: Path, portal_url: str, *, ui: str, headless: bool, reporter: Reporter, daraja_url: str | None = None
) -> Context:
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
    extra = {"daraja_url": daraja_url} if daraja_url else {}
    ctx.config.set_profile(DEMO_PROFILE["short_code"], {**DEMO_PROFILE, "portal_url": portal_url, **extra})
    ctx.config.save()
    return ctx


def run_demo(
    *,
    ui: str = "classic",
    headless: bool = True,
    reporter: Reporter | None = None,
    force_result_code: int | None = None,
) -> DemoResult:
    """The whole job on the sandbox with a throw-away home and vault (the caller's environment is not touched)."""
    from agent.sandbox import runner
    from agent.workflows import sites, status
    from agent.workflows.setup import run_setup

    recorder = RecordingReporter(reporter)
    phases: dict[str, float] = {}
    with _temporary_home() as home, runner.start(ui=ui, mode="demo") as sandbox:
        ctx = demo_context(
            home, sandbox.portal_url, ui=ui, headless=headless, reporter=recorder, daraja_url=sandbox.daraja_url
        )
        if force_result_code is not None:
            _mock_settings(sandbox.daraja_url, {"force_result_code": force_result_code})
        recorder.info(
            f"Sandbox portal: {sandbox.portal_url}   sandbox shop: {sandbox.shop_url}   "
            f"mock Daraja: {sandbox.daraja_url}"
        )
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
        golive_result, ts_result, checks = _go_live(ctx, quiet, sandbox.shop_url)
        phases["go-live"] = time.monotonic() - started

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
            golive_result,
            ts_result,
            checks,
        )


def _go_live(ctx: Context, quiet: Context, shop_url: str) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """Go live with the mock Daraja's app, a Transaction Status query from the shop's plugin, the go-live checks."""
    from agent.sandbox import daraja as mock
    from agent.workflows.golive import DarajaKeys, go_live, golive_checks

    recorder = ctx.reporter
    recorder.start("go-live", "Go live: check the Daraja app's keys with the mock Daraja, push them with the initiator")
    keys = DarajaKeys(Secret(mock.CONSUMER_KEY), Secret(mock.CONSUMER_SECRET), Secret(mock.PASSKEY))
    result = go_live(quiet, keys, environment="sandbox", payment_type="paybill", profile=DEMO_PROFILE["short_code"])
    recorder.finish(
        "go-live", "ok" if result.ok else "failed", f"{len((result.push or {}).get('changes', []))} settings"
    )

    recorder.start("transaction-status", "The shop's M-PESA plugin asks Daraja for a transaction's status")
    reply = requests.post(f"{shop_url}/__sim/transaction-status", json={"wait_seconds": 20}, timeout=40)
    answer = reply.json() if reply.headers.get("Content-Type", "").startswith("application/json") else {}
    raw = (answer.get("result") or {}).get("Result") or {}
    ts = {
        "result_code": None if "ResultCode" not in raw else str(raw["ResultCode"]),
        "result_desc": str(raw.get("ResultDesc") or answer.get("error") or "no result arrived"),
    }
    recorder.finish("transaction-status", "ok" if ts["result_code"] == "0" else "failed", f"result {ts['result_code']}")

    recorder.start("golive-checks", "Run the go-live checks doctor runs")
    checks = [
        f.as_json() for f in golive_checks(quiet, DEMO_PROFILE["short_code"], None, offline=False, wait_seconds=20)
    ]
    bad = [c for c in checks if c["status"] != "ok"]
    recorder.finish("golive-checks", "ok" if not bad else "warning", f"{len(checks) - len(bad)}/{len(checks)} ok")
    return result.as_dict(), ts, checks


def _mock_settings(daraja_url: str | None, values: dict[str, Any]) -> None:
    """Turn a knob of the sandbox's mock Daraja (its control surface; demo only)."""
    response = requests.post(f"{daraja_url}/__sim/settings", json=values, timeout=10)
    response.raise_for_status()


def _demo_app_password(shop_url: str) -> Secret:
    """The sandbox shop hands out an application password through its control surface (demo only)."""
    from agent.sandbox.runner import SANDBOX_SHOP_USER

    response = requests.post(
        f"{shop_url}/__sim/app-password", json={"user": SANDBOX_SHOP_USER, "name": "mpesa-agent demo"}, timeout=10
    )
    response.raise_for_status()
    return Secret(str(response.json()["password"]))
