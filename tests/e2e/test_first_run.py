"""A first run with no configuration file at all: ``setup`` asks for everything at the terminal (default prompt
providers, answers read off the sandbox's captcha and SMS pages), records the profile it created, and then
``link-site``, ``push``, ``status`` (exit 0), ``rotate --dry-run`` and ``rotate`` (after its y/N) work without anyone
writing a profile by hand."""

from __future__ import annotations

import re
from pathlib import Path

import requests
import tomlkit

from agent.sandbox import runner
from tests.e2e.test_quickstart_pty import ADMIN_PASSWORD, Session, inbox, pytestmark, sandbox

__all__ = ["pytestmark", "sandbox"]

ANSWERS = {
    r"Organisation short code": "600000",
    r"Business Administrator user name": "sandboxadmin",
    r"Safaricom number": "254708374149",
    r"User name for the new web operator": "firstweb",
    r"first name": "Wanjiku",
    r"last name": "Kamau",
    r"national ID number": "29876543",
    r"User name for the new API operator": "firstapi",
}


def test_setup_without_a_config_file_then_push_and_status(agent_home: Path, sandbox: runner.Sandbox) -> None:
    config_path = agent_home / "config" / "config.toml"
    assert not config_path.exists()
    newest = inbox(sandbox)
    fields = [(re.compile(pattern + r"[^\n]*: *$"), lambda v=value: v) for pattern, value in ANSWERS.items()]
    setup = Session(
        ("setup", "--portal-url", sandbox.portal_url),
        [
            *fields,
            (re.compile(r"[Pp]assword[^\n]*[Aa]dministrator[^\n]*: *$"), lambda: ADMIN_PASSWORD),
            (re.compile(r"Verification code[^\n]*: *$"), lambda: sandbox.portal.control.captcha()),
            (re.compile(r"SMS code[^\n]*: *$"), lambda: newest(r"\b(\d{6})\b")),
            (re.compile(r"User name in the SMS[^\n]*: *$"), lambda: ""),
            (re.compile(r"Temporary password[^\n]*: *$"), lambda: newest(r"Password:\s*(\S+)")),
            (re.compile(r"\[y/N\]: *$|\(y/n\)[^\n]*: *$", re.I), lambda: "y"),
        ],
    )
    assert setup.run() == 0, setup.transcript[-4000:]

    # What setup created is in the profile (and the file was created for it).
    doc = tomlkit.parse(config_path.read_text(encoding="utf-8"))
    assert doc["default_profile"] == "600000"
    profile = doc["profiles"]["600000"]  # type: ignore[index]
    assert profile["web_operator"]["username"] == "firstweb"  # type: ignore[index]
    assert profile["api_operator"]["username"] == "firstapi"  # type: ignore[index]
    assert profile["api_operator"]["role_set"]  # type: ignore[index]
    assert profile["portal_url"] == sandbox.portal_url  # type: ignore[index]
    assert profile["web_operator"]["id_number"] == "29876543"  # type: ignore[index]  # for rotate --strategy alternating

    app = requests.post(
        f"{sandbox.shop_url}/__sim/app-password",
        json={"user": runner.SANDBOX_SHOP_USER, "name": "first-run"},
        timeout=10,
    ).json()["password"]
    link = Session(
        ("link-site", sandbox.shop_url, "--username", runner.SANDBOX_SHOP_USER),
        [(re.compile(r"[Aa]pplication password[^\n]*: *$"), lambda: app)],
    )
    assert link.run() == 0, link.transcript[-4000:]
    push = Session(("push",), [(re.compile(r"\[y/N\]: *$", re.I), lambda: "y")])
    assert push.run() == 0, push.transcript[-4000:]
    assert "firstapi" in push.transcript
    status = Session(("status",), [])
    assert status.run() == 0, status.transcript[-4000:]
    assert "All good" in status.transcript

    # rotate works from what setup recorded: the plan first, then (y) the rotation, answered like setup.
    plan = Session(("rotate", "--dry-run"), [])
    assert plan.run() == 0, plan.transcript[-4000:]
    assert "Set Password on the API operator firstapi" in plan.transcript
    rotate = Session(
        ("rotate",),
        [
            (re.compile(r"Rotate now\? \[y/N\]: *$"), lambda: "y"),
            (re.compile(r"Verification code[^\n]*: *$"), lambda: sandbox.portal.control.captcha()),
            (re.compile(r"SMS code[^\n]*: *$"), lambda: newest(r"\b(\d{6})\b")),
        ],
    )
    assert rotate.run() == 0, rotate.transcript[-4000:]
    assert "Plan: rotate the API operator firstapi" in rotate.transcript
    again = Session(("status",), [])
    assert again.run() == 0, again.transcript[-4000:]


def test_an_unreachable_portal_is_exit_10_with_a_network_message(agent_home: Path, chromium_path: str) -> None:
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, MPESA_AGENT_VAULT="memory", MPESA_AGENT_ADMIN_PASSWORD="Sandbox#2030")
    args = ["setup", "--yes", "--portal-url", f"http://127.0.0.1:{port}", "--short-code", "600000"]
    args += ["--admin-username", "sandboxadmin", "--phone", "254708374149"]
    args += ["--web-username", "firstweb", "--api-username", "firstapi"]
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[profiles.600000.web_operator]\nfirst_name = "Wanjiku"\nlast_name = "Kamau"\nid_number = "29876543"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "agent", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 10, done.stdout + done.stderr
    assert "Could not reach the portal" in done.stderr
    assert "ERR_CONNECTION_REFUSED" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Unexpected" not in done.stderr
