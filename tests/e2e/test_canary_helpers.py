"""The canary for helper programs: a real ``setup`` whose captcha, SMS codes and SMS credentials all come from a
user-configured command must hand that program no secret — not in its environment, not in its argv.

The Business Administrator's password is given the documented way a scheduled run gives it
(``MPESA_AGENT_ADMIN_PASSWORD``), together with other secret-looking variables a user might have exported, so the
agent's own environment holds them while the helper runs. The helper records its argv and environment (as JSON lines
in a file) and answers from the sandbox, as an SMS bridge would answer from a phone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit

from agent.sandbox import runner
from tests.portal.conftest import PROFILE

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keyring]

ADMIN_CANARY = "Kanari#9914h"
EXPORTED = {
    "MPESA_AGENT_ADMIN_PASSWORD": ADMIN_CANARY,
    "MPESA_AGENT_WP_PASSWORD": "KanariWp 1111 2222 3333",
    "MPESA_AGENT_CONSUMER_SECRET": "KanariConsumer7782",
    "AWS_SECRET_ACCESS_KEY": "KanariAws55aa",
    "GITHUB_TOKEN": "KanariGh0tok",
}
FIXED_CAPTCHA = "4821"
FIXED_OTP = "730915"

HELPER = r"""
import json, os, sys, urllib.request
dump, portal, want = sys.argv[1], sys.argv[2], os.environ.get("MPESA_AGENT_WANT", "")
with open(dump, "a", encoding="utf-8") as f:
    f.write(json.dumps({"argv": sys.argv, "env": dict(os.environ)}) + "\n")
if want == "captcha":
    print(__CAPTCHA__)
elif want == "otp":
    print("Your M-PESA verification code is " + __OTP__ + ".")
elif want == "sms":
    url = portal.rstrip("/") + "/__sim/sms?kind=WEB_OPERATOR_CREATED&wait=10"
    with urllib.request.urlopen(url, timeout=15) as reply:
        messages = json.load(reply)["messages"]
    print(messages[-1]["text"])
else:
    sys.exit(2)
"""


@pytest.fixture
def sandbox(chromium_path: str, secret_service: dict[str, str]) -> Iterator[runner.Sandbox]:
    with runner.start(mode="test") as running:
        running.portal.control.seed(admin={"username": "sandboxadmin", "password": ADMIN_CANARY})
        running.portal.control.settings(fixed_captcha=FIXED_CAPTCHA, fixed_otp=FIXED_OTP)
        yield running


def test_helper_programs_get_no_secret(agent_home: Path, sandbox: runner.Sandbox, tmp_path: Path) -> None:
    script = tmp_path / "bridge.py"
    script.write_text(HELPER.replace("__CAPTCHA__", repr(FIXED_CAPTCHA)).replace("__OTP__", repr(FIXED_OTP)))
    dump = tmp_path / "calls.jsonl"
    command = [sys.executable, str(script), str(dump), sandbox.portal_url]
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        tomlkit.dumps(
            {
                "default_profile": "600000",
                "settings": {
                    "timeout_ms": 10000,
                    "captcha_provider": "command",
                    "captcha_command": command,
                    "otp_provider": "command",
                    "otp_command": command,
                },
                "profiles": {"600000": {**PROFILE, "portal_url": sandbox.portal_url}},
            }
        )
    )
    env = {**os.environ, **EXPORTED}
    setup = subprocess.run(
        [sys.executable, "-m", "agent", "--debug", "setup", "--yes", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert setup.returncode == 0, setup.stderr[-3000:]

    calls = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    wants = [call["env"].get("MPESA_AGENT_WANT") for call in calls]
    # The helper really answered every kind of question (else the test proves nothing).
    assert {"captcha", "otp", "sms"} <= set(wants), wants

    from agent.vault import CredentialRef, open_vault

    vault = open_vault()
    secrets = dict(EXPORTED)
    for kind, user in (("web-operator", "duka_web"), ("api-operator", "duka_api"), ("web-security", "duka_web")):
        ref = CredentialRef("600000", kind, user)
        for label in vault.info(ref):
            value = vault.get(ref, label)
            assert value is not None
            secrets[f"{kind}:{label}"] = value.reveal()
    answers = json.loads(secrets["web-security:current"])
    secrets["answer_1"], secrets["answer_2"] = answers["answer_1"], answers["answer_2"]

    for call in calls:
        # Only an allow-listed environment: none of what the user exported for us, nothing secret-named.
        assert not set(EXPORTED) & set(call["env"]), sorted(call["env"])
        assert not [name for name in call["env"] if "PASSWORD" in name or "SECRET" in name or "TOKEN" in name]
        text = json.dumps(call)
        leaks = [name for name, value in secrets.items() if value and len(value) >= 4 and value in text]
        assert leaks == [], (call["env"].get("MPESA_AGENT_WANT"), leaks)
    # And the argv is exactly what the user configured: the agent adds nothing to it.
    assert {tuple(call["argv"][1:]) for call in calls} == {(str(dump), sandbox.portal_url)}
