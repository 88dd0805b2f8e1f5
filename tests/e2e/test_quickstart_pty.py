"""The README's quickstart, typed by a person: every command runs in a pseudo-terminal with the default prompt
providers, and the answers are read from the sandbox's pages the README tells a newcomer to keep open (the captcha
code and the SMS inbox) — the way someone trying the agent on the sandbox would do it.

From ``config init`` (placeholders edited the way the README says) through ``setup``, ``link-site`` (the
application password pasted at the hidden prompt), ``push`` and ``status`` exiting 0.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import tomlkit

from agent.sandbox import runner

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keyring]

ADMIN_PASSWORD = "Sandbox#2030"
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Session:
    """One CLI command in a pseudo-terminal, answered by rules (prompt pattern -> answer) as its prompts appear."""

    args: tuple[str, ...]
    rules: list[tuple[re.Pattern[str], Callable[[], str]]]
    transcript: str = ""
    answered: list[str] = field(default_factory=list)

    def run(self, timeout_s: float = 240.0) -> int:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))  # rows, columns
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent", *self.args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,  # the pty becomes its controlling terminal, as in a real shell
            env=dict(os.environ, COLUMNS="120", TERM="dumb"),
        )
        os.close(slave)
        pending = ""  # output since the last answer: only there can a new prompt be
        deadline = time.monotonic() + timeout_s
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([master], [], [], 0.2)
                if not ready:
                    if proc.poll() is not None:
                        break
                    continue
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                text = ANSI.sub(b"", chunk).decode("utf-8", "replace").replace("\r", "")
                self.transcript += text
                pending += text
                for pattern, answer in self.rules:
                    if pattern.search(pending):
                        reply = answer()
                        self.answered.append(pattern.pattern)
                        os.write(master, reply.encode() + b"\r")
                        pending = ""
                        break
            else:
                proc.kill()
                raise AssertionError(f"{self.args[0]} did not finish in {timeout_s:.0f} s:\n{self.transcript[-4000:]}")
            return proc.wait(timeout=30)
        finally:
            os.close(master)
            if proc.poll() is None:
                proc.kill()


@pytest.fixture
def sandbox(chromium_path: str, secret_service: dict[str, str]) -> Iterator[runner.Sandbox]:
    with runner.start(mode="test") as running:
        yield running


def inbox(sandbox: runner.Sandbox) -> Callable[[str], str]:
    """What a person reads off the SMS inbox page: the newest message matching ``pattern``'s first group."""

    def newest(pattern: str) -> str:
        for message in reversed(sandbox.portal.control.sms(wait=10)):
            found = re.search(pattern, message["text"])
            if found:
                return found.group(1)
        raise AssertionError(f"no SMS matches {pattern!r}")

    return newest


def test_readme_quickstart_typed_at_a_terminal(agent_home: Path, sandbox: runner.Sandbox) -> None:
    newest = inbox(sandbox)

    init = Session(("config", "init"), [])
    assert init.run() == 0, init.transcript
    config_path = agent_home / "config" / "config.toml"
    assert config_path.is_file(), init.transcript

    # The README: set the sandbox's administrator and phone in profile 600000 (and fill in any placeholder).
    doc = tomlkit.parse(config_path.read_text(encoding="utf-8"))
    [(key, profile)] = list(doc["profiles"].items())  # type: ignore[union-attr]
    profile["admin_username"] = "sandboxadmin"
    profile["owner_msisdn"] = "254708374149"
    for part in ("web_operator", "api_operator"):
        operator = profile[part]
        for name, value in (("first_name", "Wanjiku"), ("last_name", "Kamau"), ("email", "owner@duka.co.ke")):
            operator[name] = value
        operator["id_number"] = "29876543"
    config_path.write_text(tomlkit.dumps(doc), encoding="utf-8")

    setup = Session(
        ("setup", "--portal-url", sandbox.portal_url),
        [
            (
                re.compile(
                    r"[Pp]assword[^\n]*(Administrator|administrator)[^\n]*: *$|Administrator[^\n]*password[^\n]*: *$"
                ),
                lambda: ADMIN_PASSWORD,
            ),
            (re.compile(r"Verification code[^\n]*: *$"), lambda: sandbox.portal.control.captcha()),
            (re.compile(r"SMS code[^\n]*: *$"), lambda: newest(r"\b(\d{6})\b")),
            (re.compile(r"User name in the SMS[^\n]*: *$"), lambda: ""),
            (re.compile(r"Temporary password[^\n]*: *$"), lambda: newest(r"Password:\s*(\S+)")),
            (re.compile(r"\[y/N\]: *$|\(y/n\)[^\n]*: *$", re.I), lambda: "y"),
        ],
    )
    assert setup.run() == 0, setup.transcript[-4000:]
    names = {str(profile["web_operator"]["username"]), str(profile["api_operator"]["username"])}
    statuses = {
        op["username"]: op["status"]
        for org in sandbox.portal.control.state()["orgs"]
        for op in org["operators"]
        if op["username"] in names
    }
    assert statuses == dict.fromkeys(names, "Active"), statuses

    app = requests.post(
        f"{sandbox.shop_url}/__sim/app-password",
        json={"user": runner.SANDBOX_SHOP_USER, "name": "quickstart"},
        timeout=10,
    ).json()["password"]
    link = Session(
        ("link-site", sandbox.shop_url, "--username", runner.SANDBOX_SHOP_USER),
        [(re.compile(r"[Aa]pplication password[^\n]*: *$"), lambda: app)],
    )
    assert link.run() == 0, link.transcript[-4000:]

    push = Session(("push",), [(re.compile(r"\[y/N\]: *$", re.I), lambda: "y")])
    assert push.run() == 0, push.transcript[-4000:]

    status = Session(("status",), [])
    assert status.run() == 0, status.transcript[-4000:]
    assert key in config_path.read_text(encoding="utf-8")
