"""``mpesa-agent portal check`` through the real CLI on the sandbox portal (both UI generations): it finds every
element it must, submits nothing, writes redacted 0600 snapshots with --record, and exits 6 naming the element when
the portal renames a label."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit

from agent.sandbox.portal.server import RunningSandbox, start_sandbox
from tests.portal.conftest import PROFILE

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PASSWORD = "Kanari#5521c"


@pytest.fixture(params=["classic", "current"])
def portal(request: pytest.FixtureRequest, chromium_path: str) -> Iterator[RunningSandbox]:
    running = start_sandbox(mode="test", skin=str(request.param))
    running.control.seed(admin={"username": "sandboxadmin", "password": PASSWORD})
    try:
        yield running
    finally:
        running.stop()


def operators(portal: RunningSandbox) -> list[tuple[str, str, tuple[str, ...], bool]]:
    """What a change would show: each operator's name, status, roles and whether it has a password."""
    return sorted(
        (op["username"], op["status"], tuple(op["roles"]), bool(op["has_password"]))
        for org in portal.control.state()["orgs"]
        for op in org["operators"]
    )


def check(agent_home: Path, portal: RunningSandbox, *extra: str) -> subprocess.CompletedProcess[str]:
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        tomlkit.dumps(
            {
                "default_profile": "600000",
                "settings": {"timeout_ms": 8000},
                "profiles": {"600000": {**PROFILE, "portal_url": portal.url}},
            }
        )
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "agent",
            "portal",
            "check",
            "--captcha-from",
            "sandbox",
            "--codes-from",
            "sandbox",
            "--admin-password-stdin",
            *extra,
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=dict(os.environ, MPESA_AGENT_VAULT="memory"),
    )


def test_check_finds_everything_and_changes_nothing(agent_home: Path, portal: RunningSandbox, tmp_path: Path) -> None:
    before = operators(portal)
    record = tmp_path / "snapshots"
    result = check(agent_home, portal, "--record", str(record), "--json")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(result.stdout)
    assert data["ok"] is True
    screens = {item["screen"] for item in data["elements"]}
    assert {"login", "operators", "create"} <= screens
    assert all(item["found"] for item in data["elements"])
    # Nothing was created or changed on the portal.
    assert operators(portal) == before
    files = sorted(record.iterdir())
    assert len(files) >= 4, files
    assert stat.S_IMODE(record.stat().st_mode) == 0o700
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text(encoding="utf-8")
        assert PASSWORD not in text
    login = next(p for p in files if p.name.endswith("-login.txt")).read_text(encoding="utf-8")
    assert 'textbox "User Name"' in login or "User Name" in login  # the snapshot says what is there


def test_check_exits_6_naming_a_renamed_label(agent_home: Path, portal: RunningSandbox) -> None:
    portal.control.fault(kind="rename_label", old="Search", new="Find")
    result = check(agent_home, portal)
    assert result.returncode == 6, result.stdout[-3000:] + result.stderr[-3000:]
    assert "✗" in result.stdout or "Stopped" in result.stdout, result.stdout
    assert "Search" in result.stdout
    assert "portal.toml" in result.stderr
