"""``mpesa-agent go-live`` through the real CLI (a separate process) against the sandbox shop and its mock Daraja.

The starting point is the rotation tests' (``tests.rotation.harness.fresh_start``: an organisation with an Active
API operator in the real keyring vault, the shop linked and holding it); the profile names the mock Daraja
(``daraja_url``). Each refusal must leave the plugin's stored settings and the keyring exactly as they were.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import tomlkit

from agent import settings
from agent.context import Context
from agent.sandbox import daraja as mock
from agent.sandbox.runner import start as start_sandbox
from agent.vault import LABELS, Vault, open_vault
from agent.workflows.golive import daraja_refs, golive_checks
from tests.rotation.harness import API, REPO, START_API_PASSWORD, PortalSpy, Start, World, fresh_start

pytestmark = [pytest.mark.e2e, pytest.mark.keyring]

# Osen's bundled defaults: Daraja's public sandbox app and passkey (wordpress-woocommerce.md §2.1).
PUBLIC_KEY = "9v38Dtu5u2BpsITPmLcXNWGMsjZRWSTG"
PUBLIC_SECRET = "bclwIPkcRqw61yUt"
PUBLIC_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
GOOD = (mock.CONSUMER_KEY, mock.CONSUMER_SECRET, mock.PASSKEY)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    sandbox = start_sandbox(mode="test")
    try:
        yield World(sandbox, PortalSpy(sandbox.portal.state))
    finally:
        sandbox.stop()


@pytest.fixture
def vault(secret_service: dict[str, str]) -> Vault:
    return open_vault()


@pytest.fixture
def start(world: World, vault: Vault, agent_home: Path) -> Start:
    begun = fresh_start(world, vault, agent_home)
    requests.post(f"{world.sandbox.daraja_url}/__sim/reset", json={}, timeout=10).raise_for_status()
    path = settings.paths().config_file
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    doc["profiles"][begun.short_code]["daraja_url"] = world.sandbox.daraja_url  # type: ignore[index]
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return begun


def go_live(*args: str, secrets: tuple[str, str, str] = GOOD) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "go-live", "--secrets-stdin", "--yes", "--json", *args],
        cwd=REPO,
        input="\n".join(secrets) + "\n",
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    answer = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return proc.returncode, answer, proc.stderr


def plugin(world: World) -> dict[str, Any]:
    values: dict[str, Any] = world.shop("GET", "gateway/mpesa")["values"]
    return values


def daraja_items(vault: Vault, start: Start, environment: str = "sandbox") -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for field, ref in daraja_refs(start.short_code, environment).items():
        held = {label: v.reveal() for label in LABELS if (v := vault.get(ref, label)) is not None}
        if held:
            out[field] = held
    return out


def test_a_wrong_consumer_secret_exits_4_with_the_fix_and_writes_nothing(
    world: World, start: Start, vault: Vault
) -> None:
    before = plugin(world)
    status, answer, stderr = go_live(
        "--environment",
        "sandbox",
        "--payment-type",
        "paybill",
        secrets=(mock.CONSUMER_KEY, "WrongSecret2030x", mock.PASSKEY),
    )
    assert status == 4, stderr
    assert "refused the consumer key and secret" in answer["message"]
    assert "Copy the Consumer Key and Consumer Secret again" in answer["hint"]
    assert "WrongSecret2030x" not in stderr + json.dumps(answer)
    assert plugin(world) == before
    assert daraja_items(vault, start) == {}


def test_a_short_code_other_than_the_profiles_exits_5_and_writes_nothing(
    world: World, start: Start, vault: Vault
) -> None:
    before = plugin(world)
    status, answer, stderr = go_live("--environment", "sandbox", "--payment-type", "paybill", "--short-code", "174379")
    assert status == 5, stderr
    assert "stopped before writing anything" in answer["message"]
    assert f"profile's organisation short code is {start.short_code}" in answer["message"]
    assert plugin(world) == before
    assert daraja_items(vault, start) == {}


def test_public_sandbox_values_with_production_exit_5_and_write_nothing(
    world: World, start: Start, vault: Vault
) -> None:
    before = plugin(world)
    status, answer, stderr = go_live(
        "--environment", "production", "--payment-type", "paybill", secrets=(PUBLIC_KEY, PUBLIC_SECRET, PUBLIC_PASSKEY)
    )
    assert status == 5, stderr
    assert "Production with Daraja's public sandbox consumer key, consumer secret, passkey" in answer["message"]
    assert PUBLIC_SECRET not in stderr + json.dumps(answer)
    assert plugin(world) == before
    assert daraja_items(vault, start, "production") == {}
    assert daraja_items(vault, start) == {}


def test_dry_run_shows_the_plan_masked_and_writes_nothing(world: World, start: Start, vault: Vault) -> None:
    before = plugin(world)
    status, answer, stderr = go_live("--environment", "sandbox", "--payment-type", "paybill", "--dry-run")
    assert status == 0, stderr
    assert answer["dry_run"] is True
    assert answer["token_verified"] is True
    assert answer["plan"]["consumer_key"] == answer["plan"]["passkey"] != mock.PASSKEY
    assert answer["plan"]["short_code"] == start.short_code
    changed = {c["key"] for c in answer["push"]["changes"]}
    assert {"key", "secret", "passkey", "shortcode", "headoffice"} <= changed
    text = stderr + json.dumps(answer)
    for secret in (*GOOD, START_API_PASSWORD):
        assert secret not in text
    assert plugin(world) == before
    assert daraja_items(vault, start) == {}


def test_a_correct_run_leaves_exactly_the_verified_values_in_the_plugin_and_the_vault(
    world: World, start: Start, vault: Vault
) -> None:
    status, answer, stderr = go_live("--environment", "sandbox", "--payment-type", "paybill")
    assert status == 0, stderr
    assert answer["ok"] is True
    assert answer["push"]["verified"] is True
    values = plugin(world)
    assert values["key"] == mock.CONSUMER_KEY
    assert values["secret"] == mock.CONSUMER_SECRET
    assert values["passkey"] == mock.PASSKEY
    assert values["env"] == "sandbox"
    assert str(values["idtype"]) == "4"
    assert values["shortcode"] == values["headoffice"] == start.short_code
    assert (values["initiator"], values["password"]) == (API, START_API_PASSWORD)
    assert daraja_items(vault, start) == {
        "consumer_key": {"current": mock.CONSUMER_KEY},
        "consumer_secret": {"current": mock.CONSUMER_SECRET},
        "passkey": {"current": mock.PASSKEY},
    }
    for secret in GOOD:
        assert secret not in stderr + json.dumps(answer)

    # doctor's go-live checks: all ok, the initiator checked end to end against the mock
    ctx = Context.build(vault=vault)
    findings = {f.id: f for f in golive_checks(ctx, None, None, offline=False, wait_seconds=20)}
    assert findings["golive.oauth"].status == "ok"
    assert findings["golive.initiator-result"].status == "ok", findings["golive.initiator-result"]
    assert [f.id for f in findings.values() if f.status == "problem"] == []
    offline = {f.id: f.status for f in golive_checks(ctx, None, None, offline=True)}
    assert offline["golive.oauth"] == offline["golive.initiator-result"] == "unknown"

    # a 2001 from Daraja (the sandbox fault knob) is explained by the check
    requests.post(f"{world.sandbox.daraja_url}/__sim/settings", json={"force_result_code": 2001}, timeout=10)
    failing = {f.id: f for f in golive_checks(ctx, None, None, offline=False, wait_seconds=20)}
    initiator = failing["golive.initiator-result"]
    assert initiator.status == "problem"
    assert initiator.evidence.startswith("Result 2001: The initiator information is invalid")
    assert "environment" in initiator.fix


def test_daraja_unreachable_is_a_clear_network_error_and_writes_nothing(
    world: World, start: Start, vault: Vault
) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    path = settings.paths().config_file
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    doc["profiles"][start.short_code]["daraja_url"] = dead  # type: ignore[index]
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    before = plugin(world)
    status, answer, stderr = go_live("--environment", "sandbox", "--payment-type", "paybill")
    assert status == 10, stderr  # the documented network exit
    assert answer["message"] == "Daraja could not be reached (OAuth, sandbox)."
    assert "nothing was changed" in answer["hint"]
    assert plugin(world) == before
    assert daraja_items(vault, start) == {}
