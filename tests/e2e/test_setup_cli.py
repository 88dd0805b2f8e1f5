"""``mpesa-agent setup`` / ``status`` end to end in a subprocess against the sandbox portal (running in this test
process, so its state survives a killed agent), with the real Secret Service keyring of the private D-Bus session.

The crash tests kill the agent with SIGKILL at every step boundary of setup (``agent.journal.checkpoint``), then run
it again: the end state must have exactly one web and one API operator, both Active, with the vault holding the
passwords the portal accepts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit

from agent.sandbox.portal.server import RunningSandbox
from agent.secret import Secret
from agent.workflows.setup import SETUP as SETUP_WORKFLOW
from tests.harness.sandbox import ADMIN_PASSWORD, running_sandbox
from tests.portal.conftest import PROFILE, operators, portal_accepts

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keyring]

# Every checkpoint setup declares in production code (agent.workflows.setup.SETUP), in the order a run reaches them.
CHECKPOINTS = list(SETUP_WORKFLOW.checkpoints())


@pytest.fixture
def sandbox(chromium_path: str, secret_service: dict[str, str]) -> Iterator[RunningSandbox]:
    with running_sandbox() as portal:
        yield portal


@pytest.fixture
def configured(agent_home: Path, sandbox: RunningSandbox) -> Path:
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "default_profile": "600000",
        "settings": {"timeout_ms": 10000, "human_timeout_s": 30},
        "profiles": {"600000": {**PROFILE, "portal_url": sandbox.url}},
    }
    config.write_text(tomlkit.dumps(data))
    return config


def agent(
    *args: str, stdin: str = "", crash_at: str | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("MPESA_AGENT_TEST_CRASH_AT", None)
    if crash_at:
        env["MPESA_AGENT_TEST_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


SETUP = ("setup", "--yes", "--captcha-from", "sandbox", "--codes-from", "sandbox", "--admin-password-stdin")


def vault_secret(kind: str, username: str, label: str = "current") -> Secret | None:
    from agent.vault import CredentialRef, open_vault

    return open_vault().get(CredentialRef("600000", kind, username), label)


def assert_converged(sandbox: RunningSandbox) -> None:
    ops = operators(sandbox)
    assert sorted(ops) == ["duka_api", "duka_web", "sandboxadmin"]
    assert ops["duka_web"]["status"] == "Active"
    assert ops["duka_api"]["status"] == "Active"
    for kind, user in (("web-operator", "duka_web"), ("api-operator", "duka_api")):
        current = vault_secret(kind, user)
        assert current is not None, user
        assert vault_secret(kind, user, "pending") is None, user
        assert portal_accepts(sandbox, user, current), f"the vault's password of {user} is not the portal's"
    assert_answers_kept(sandbox)


def assert_answers_kept(sandbox: RunningSandbox) -> None:
    """Every security answer the portal accepted for the web operator is in the vault (no pending left over)."""
    import json

    from agent.sandbox.portal.passwords import verify_secret

    stored = vault_secret("web-security", "duka_web")
    assert stored is not None, "the web operator's security answers are not in the vault"
    assert vault_secret("web-security", "duka_web", "pending") is None
    record = json.loads(stored.reveal())
    (op,) = [op for op in sandbox.state.all_operators() if op.username == "duka_web"]
    assert len(op.security_questions) == 2
    for index, (_question, answer_hash) in enumerate(op.security_questions, start=1):
        answer = str(record[f"answer_{index}"])
        assert verify_secret(answer.strip().casefold(), answer_hash), f"answer {index} is not the portal's"


def test_setup_non_interactive_with_the_password_on_stdin(configured: Path, sandbox: RunningSandbox) -> None:
    result = agent(*SETUP, "--json", stdin=ADMIN_PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert '"ok": true' in result.stdout
    assert ADMIN_PASSWORD not in result.stdout + result.stderr
    assert_converged(sandbox)
    status = agent("status", "--offline")
    # No site linked yet: attention (5), not "All good"; both operators are fine.
    assert status.returncode == 5, status.stdout + status.stderr
    assert "no linked site" in status.stdout
    assert "duka_api: Active" in status.stdout
    assert "expires in 90 days" in status.stdout


def test_setup_without_input_names_what_is_missing(agent_home: Path, sandbox: RunningSandbox) -> None:
    result = agent(*SETUP, "--portal-url", sandbox.url, stdin=ADMIN_PASSWORD + "\n")
    assert result.returncode == 2
    assert "short_code" in result.stderr
    assert "Traceback" not in result.stderr


def test_setup_dry_run_changes_nothing(configured: Path, sandbox: RunningSandbox) -> None:
    result = agent("setup", "--dry-run", "--yes")
    assert result.returncode == 0, result.stderr
    assert "duka_web" in result.stdout
    assert "nothing will be changed" in result.stdout
    assert sorted(operators(sandbox)) == ["sandboxadmin"]


@pytest.mark.parametrize("point", CHECKPOINTS)
def test_killed_at_every_step_boundary_then_resumed(configured: Path, sandbox: RunningSandbox, point: str) -> None:
    crashed = agent(*SETUP, stdin=ADMIN_PASSWORD + "\n", crash_at=point)
    assert crashed.returncode == -9, f"did not stop at {point}: {crashed.returncode} {crashed.stderr[-2000:]}"
    resumed = agent(*SETUP, "--resume", stdin=ADMIN_PASSWORD + "\n")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_converged(sandbox)


def test_rotate_from_the_cli(configured: Path, sandbox: RunningSandbox) -> None:
    """After setup: not due → exit 0 and nothing changes; then a rotation puts a new API password everywhere."""
    assert agent(*SETUP, stdin=ADMIN_PASSWORD + "\n").returncode == 0
    before = vault_secret("api-operator", "duka_api")
    assert before is not None
    not_due = agent("rotate", "--if-older-than", "60d", "--captcha-from", "sandbox", "--codes-from", "sandbox")
    assert not_due.returncode == 0, not_due.stderr[-2000:]
    assert vault_secret("api-operator", "duka_api") == before
    rotated = agent("rotate", "--captcha-from", "sandbox", "--codes-from", "sandbox", "--json")
    assert rotated.returncode == 0, rotated.stderr[-3000:]
    after = vault_secret("api-operator", "duka_api")
    assert after is not None
    assert after != before
    assert vault_secret("api-operator", "duka_api", "previous") == before
    assert portal_accepts(sandbox, "duka_api", after)
    assert_converged(sandbox)
