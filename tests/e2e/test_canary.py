"""The canary: a whole run that stores and uses known secret values, with --debug on, must leave none of them in
stdout, stderr, log files, the configuration file, the journal, screenshots or exception text.

Secrets covered: the Business Administrator's password (chosen here), the web and API operators' generated
passwords and the security answers (read from the vault afterwards), the temporary password of the web operator's
SMS, the shop's application password, a wrong password whose rejection is reported, and go-live's Daraja consumer
key, secret and passkey and the OAuth tokens the mock Daraja issued.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import tomlkit

from agent.sandbox import runner
from tests.portal.conftest import PROFILE

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keyring]

ADMIN_CANARY = "Kanari#7731q"
WRONG_CANARY = "Wrong#4471zz"
DARAJA_CANARY = ("KanariConsumerKey7731qKanariKey01", "KanariSecret7731", "KanariPasskey7731" * 3)


@pytest.fixture
def sandbox(chromium_path: str, secret_service: dict[str, str]) -> Iterator[runner.Sandbox]:
    with runner.start(mode="test") as running:
        running.portal.control.seed(admin={"username": "sandboxadmin", "password": ADMIN_CANARY})
        yield running


def agent(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", "--debug", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ),
    )


def test_no_secret_leaks_anywhere(agent_home: Path, sandbox: runner.Sandbox) -> None:
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        tomlkit.dumps(
            {
                "default_profile": "600000",
                "settings": {"timeout_ms": 10000},
                "profiles": {"600000": {**PROFILE, "portal_url": sandbox.portal_url, "daraja_url": sandbox.daraja_url}},
            }
        )
    )
    outputs: list[str] = []

    wrong = agent(
        "setup",
        "--yes",
        "--captcha-from",
        "sandbox",
        "--codes-from",
        "sandbox",
        "--admin-password-stdin",
        stdin=WRONG_CANARY + "\n",
    )
    assert wrong.returncode == 4, wrong.stderr[-2000:]
    outputs += [wrong.stdout, wrong.stderr]

    setup = agent(
        "setup",
        "--yes",
        "--captcha-from",
        "sandbox",
        "--codes-from",
        "sandbox",
        "--admin-password-stdin",
        "--json",
        stdin=ADMIN_CANARY + "\n",
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    outputs += [setup.stdout, setup.stderr]

    app = requests.post(
        f"{sandbox.shop_url}/__sim/app-password", json={"user": runner.SANDBOX_SHOP_USER, "name": "canary"}, timeout=10
    ).json()["password"]
    link = agent(
        "link-site", sandbox.shop_url, "--username", runner.SANDBOX_SHOP_USER, "--password-stdin", stdin=app + "\n"
    )
    assert link.returncode == 0, link.stderr[-3000:]
    push = agent("push", "--json")
    assert push.returncode == 0, push.stderr[-3000:]
    status = agent("status", "--json")
    assert status.returncode == 0, status.stdout[-3000:] + status.stderr[-3000:]
    outputs += [link.stdout, link.stderr, push.stdout, push.stderr, status.stdout, status.stderr]
    key, secret, _passkey = DARAJA_CANARY
    requests.post(
        f"{sandbox.daraja_url}/__sim/apps", json={"consumer_key": key, "consumer_secret": secret}, timeout=10
    ).raise_for_status()
    golive = agent(
        "go-live",
        "--environment",
        "sandbox",
        "--payment-type",
        "paybill",
        "--secrets-stdin",
        "--yes",
        "--json",
        stdin="\n".join(DARAJA_CANARY) + "\n",
    )
    assert golive.returncode == 0, golive.stderr[-3000:]
    outputs += [golive.stdout, golive.stderr]

    from agent.vault import CredentialRef, open_vault

    vault = open_vault()
    secrets = {
        "admin": ADMIN_CANARY,
        "wrong": WRONG_CANARY,
        "app-password": app,
        "app-password-spaced": app[:4] + " " + app[4:8] if len(app) > 8 else app,
    }
    for kind, user in (("web-operator", "duka_web"), ("api-operator", "duka_api"), ("web-security", "duka_web")):
        info = vault.info(CredentialRef("600000", kind, user))
        for label in info:
            value = vault.get(CredentialRef("600000", kind, user), label)
            assert value is not None
            secrets[f"{kind}:{label}"] = value.reveal()
    answers = json.loads(secrets["web-security:current"])
    secrets["answer_1"], secrets["answer_2"] = answers["answer_1"], answers["answer_2"]
    sms = sandbox.portal.control.sms(kind="WEB_OPERATOR_CREATED")
    temp = sms[-1]["text"].split("Password:")[1].split()[0]
    secrets["temporary"] = temp
    secrets.update(zip(("consumer-key", "consumer-secret", "passkey"), DARAJA_CANARY, strict=True))
    assert sandbox.daraja is not None
    with sandbox.daraja.state.lock:
        tokens = list(sandbox.daraja.state.tokens)
    assert tokens, "go-live fetched a token"
    secrets.update({f"token {i}": token for i, token in enumerate(tokens)})

    files = [p for p in agent_home.rglob("*") if p.is_file() and "xdg" not in p.parts]
    assert any(p.suffix == ".jsonl" for p in files), "the journal should exist"
    haystacks = {f"output {i}": text for i, text in enumerate(outputs)}
    for path in files:
        haystacks[str(path)] = path.read_bytes().decode("utf-8", "replace")
    leaks = [
        (name, where)
        for name, value in secrets.items()
        for where, text in haystacks.items()
        if value and len(value) >= 4 and value in text
    ]
    assert leaks == [], leaks
