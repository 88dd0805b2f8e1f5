"""``status``/``doctor``/``sites`` as checks, each state pinned to its exit status: through the real CLI
(in-process), with an in-memory vault and the sandbox shop on loopback.

0 all ok; 5 attention (nothing set up, operator unknown, rotation in flight, plugin initiator differs) or unknown
(``--offline``: never 0); 7 a site problem (Osen or WooCommerce deactivated); 4 the keyring is unavailable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.cli import main
from agent.context import Context, VaultSlot
from agent.errors import ExitStatus, KeyringError
from agent.secret import Secret
from agent.vault import CredentialRef, Vault, open_vault
from agent.workflows import sites
from agent.workflows.checks import Check, worst_exit
from agent.workflows.status import collect_status
from tests.harness.wordpress import SandboxShopServer

pytestmark = pytest.mark.unit

SHORT_CODE, WEB, API, PASSWORD = "600000", "mamaweb", "mamaapi", "Kx7#mQ2$vL9%"


@pytest.fixture
def vault(monkeypatch: pytest.MonkeyPatch) -> Vault:
    memory = open_vault("memory")
    monkeypatch.setattr("agent.vault.open_vault", lambda _kind=None: memory)
    return memory


@pytest.fixture
def shop() -> Iterator[SandboxShopServer]:
    server = SandboxShopServer()
    yield server
    server.stop()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def checks_of(out: str) -> dict[str, str]:
    return {c["id"]: c["status"] for c in json.loads(out)["checks"]}


def set_up(vault: Vault, *, web: str | None = WEB, seen: bool = True) -> Context:
    """What a finished setup leaves: the profile, both passwords, the journal's read-back."""
    ctx = Context.build(vault=vault)
    table: dict[str, Any] = {"short_code": SHORT_CODE, "api_operator": {"username": API}}
    if web:
        table["web_operator"] = {"username": web}
    ctx.config.set_profile(SHORT_CODE, table)
    ctx.config.save()
    vault.set_current(CredentialRef(SHORT_CODE, "api-operator", API), Secret(PASSWORD))
    if web:
        vault.set_current(CredentialRef(SHORT_CODE, "web-operator", web), Secret("Web#12345abc"))
    if seen:
        journal = ctx.journal(f"setup-{SHORT_CODE}")
        plan = {"web_operator": {"username": web or ""}, "api_operator": {"username": API}}
        journal.record("setup", "start", plan=plan)
        journal.record("setup", "finish", web="Active", api="Active")
    return ctx


def linked_and_pushed(ctx: Context, shop: SandboxShopServer) -> None:
    sites.link_site(ctx, shop.url, "shopadmin", Secret(shop.app_password()))
    assert sites.push(ctx, None, None, False).ok


def test_nothing_set_up_yet_is_attention_not_all_good(
    capsys: pytest.CaptureFixture[str], vault: Vault, agent_home: Path
) -> None:
    code, out, _ = run(capsys, "status")
    assert code == ExitStatus.VERIFY
    assert "nothing set up yet" in out
    assert "All good" not in out
    assert "Next: mpesa-agent config init, then mpesa-agent setup" in out


def test_every_check_ok_exits_0_and_the_push_that_fixes_a_differing_initiator_is_exit_5_not_7(
    capsys: pytest.CaptureFixture[str], vault: Vault, shop: SandboxShopServer, agent_home: Path
) -> None:
    ctx = set_up(vault)
    linked_and_pushed(ctx, shop)
    code, out, err = run(capsys, "status", "--json")
    assert code == ExitStatus.OK, out + err
    assert set(checks_of(out).values()) == {"ok"}
    code, out, _ = run(capsys, "status")
    assert code == 0
    assert "All good" in out
    # The vault's password changes (a rotation elsewhere): the plugin differs, push fixes it: 5, not 7.
    vault.set_current(CredentialRef(SHORT_CODE, "api-operator", API), Secret("Other#98765xyz"))
    code, out, _ = run(capsys, "status", "--json")
    assert code == ExitStatus.VERIFY
    assert checks_of(out)[f"site.initiator:{shop.url}"] == "attention"
    code, out, _ = run(capsys, "status")
    assert "Next: mpesa-agent push" in out
    assert "All good" not in out


def test_offline_marks_the_sites_unknown_and_never_exits_0(
    capsys: pytest.CaptureFixture[str], vault: Vault, shop: SandboxShopServer, agent_home: Path
) -> None:
    ctx = set_up(vault)
    linked_and_pushed(ctx, shop)
    code, out, _ = run(capsys, "status", "--offline", "--json")
    assert code == ExitStatus.VERIFY
    found = checks_of(out)
    assert found[f"site.reach:{shop.url}"] == found[f"site.initiator:{shop.url}"] == "unknown"
    assert found["operator.api"] == "ok"
    code, out, _ = run(capsys, "sites", "--offline")
    assert code == ExitStatus.VERIFY
    assert "not checked" in out


def test_an_operator_unknown_and_a_rotation_in_flight_are_attention(
    capsys: pytest.CaptureFixture[str], vault: Vault, agent_home: Path
) -> None:
    set_up(vault, web=None)
    code, out, _ = run(capsys, "status", "--json")
    assert code == ExitStatus.VERIFY
    assert checks_of(out)["operator.web"] == "attention"
    assert "operator unknown" in {c["id"]: c["evidence"] for c in json.loads(out)["checks"]}["operator.web"]
    vault.stage(CredentialRef(SHORT_CODE, "api-operator", API), Secret("New#12345abcd"))
    code, out, _ = run(capsys, "status", "--json")
    assert code == ExitStatus.VERIFY
    assert checks_of(out)["rotation.api"] == "attention"
    code, out, _ = run(capsys, "status")
    assert "mpesa-agent rotate --resume" in out


def test_osen_or_woocommerce_deactivated_is_a_site_problem_in_status_and_sites(
    capsys: pytest.CaptureFixture[str], vault: Vault, shop: SandboxShopServer, agent_home: Path
) -> None:
    ctx = set_up(vault)
    linked_and_pushed(ctx, shop)
    shop.sim("POST", "settings", {"plugin": "none"})
    code, out, _ = run(capsys, "status", "--json")
    assert code == ExitStatus.SITE
    code, out, _ = run(capsys, "sites", "--json")
    assert code == ExitStatus.SITE
    [item] = json.loads(out)
    assert item["ok"] is False
    assert {c["id"]: c["status"] for c in item["checks"]}[f"site.plugin:{shop.url}"] == "problem"
    shop.sim("POST", "settings", {"plugin": "osen", "woocommerce_active": False})
    code, out, _ = run(capsys, "sites")
    assert code == ExitStatus.SITE
    assert "PROBLEM" in out
    shop.sim("POST", "settings", {"woocommerce_active": True})
    assert run(capsys, "sites")[0] == ExitStatus.OK


def test_an_unavailable_keyring_is_exit_4(agent_home: Path) -> None:
    def locked() -> Vault:
        raise KeyringError("The OS keyring is locked.", hint="Unlock it, then run mpesa-agent status again.")

    ctx = Context.build().replace(vault_slot=VaultSlot(locked))
    report = collect_status(ctx)
    assert report.exit_status == ExitStatus.AUTH
    assert report.checks[0].status == "problem"


def test_doctor_adds_real_checks_to_status(
    capsys: pytest.CaptureFixture[str], vault: Vault, shop: SandboxShopServer, agent_home: Path
) -> None:
    ctx = set_up(vault)
    linked_and_pushed(ctx, shop)
    _, status_out, _ = run(capsys, "status", "--json")
    code, doctor_out, _ = run(capsys, "doctor", "--offline", "--json")
    status_ids, doctor_ids = set(checks_of(status_out)), set(checks_of(doctor_out))
    assert status_ids < doctor_ids
    assert f"site.https:{shop.url}" in doctor_ids
    assert json.loads(doctor_out)["doctor"] is True
    # The sandbox shop's plugin still has Daraja's public sandbox short code: doctor is not "All good" (issue 14).
    found = checks_of(doctor_out)
    assert found[f"golive.short-code:{shop.url}"] == "problem"
    assert found[f"golive.oauth:{shop.url}"] == "unknown"  # offline
    assert code == ExitStatus.SITE
    code, out, _ = run(capsys, "doctor", "--offline")
    assert "174379" in out
    assert "All good" not in out


def test_the_worst_check_decides() -> None:
    ok = Check("a", "A", "ok", "")
    attention = Check("b", "B", "attention", "")
    site = Check("c", "C", "problem", "", problem_exit=ExitStatus.SITE)
    auth = Check("d", "D", "problem", "", problem_exit=ExitStatus.AUTH)
    unknown = Check("e", "E", "unknown", "")
    assert worst_exit([ok]) == ExitStatus.OK
    assert worst_exit([ok, unknown]) == ExitStatus.VERIFY
    assert worst_exit([ok, attention, site]) == ExitStatus.SITE
    assert worst_exit([site, auth, attention]) == ExitStatus.AUTH


def test_operator_states_as_checks(agent_home: Path) -> None:
    import datetime as dt

    from agent.workflows.status import operator_checks, operator_status

    memory = open_vault("memory")
    now = dt.datetime.now(dt.UTC)

    def state(seen: dict[str, str], days: int = 0) -> list[str]:
        op = operator_status(memory, SHORT_CODE, "api", API, seen, 90, now=now + dt.timedelta(days=days))
        return [c.status for c in operator_checks(op)]

    assert state({}) == ["attention"]  # never set up
    assert state({API: "Active"}) == ["problem"]  # set up, but the vault lost it
    memory.set_current(CredentialRef(SHORT_CODE, "api-operator", API), Secret(PASSWORD))
    assert state({API: "Active"}) == ["ok"]
    assert state({}) == ["unknown"]  # in the vault, never read back from the portal
    assert state({API: "Locked"}) == ["problem"]
    assert state({API: "Active"}, days=80) == ["attention"]  # expires in 10 days
    assert state({API: "Active"}, days=91) == ["problem"]  # expired


def test_a_rotation_the_journal_says_is_in_flight_is_attention(
    capsys: pytest.CaptureFixture[str], vault: Vault, agent_home: Path
) -> None:
    ctx = set_up(vault)
    journal = ctx.journal(f"rotate-{SHORT_CODE}")
    journal.record("rotate", "start", rotation="abc123", operator="api", strategy="alternating", username=API)
    code, out, _ = run(capsys, "status", "--json")
    assert code == ExitStatus.VERIFY
    assert checks_of(out)["rotation.api"] == "attention"
    journal.record("rotate", "finish")
    assert "rotation.api" not in checks_of(run(capsys, "status", "--json")[1])


def test_an_operator_a_finished_rotation_created_is_known_active(
    capsys: pytest.CaptureFixture[str], vault: Vault, agent_home: Path
) -> None:
    ctx = set_up(vault)
    # rotate --strategy alternating made mamaapi2 and recorded it in the profile; setup never saw it.
    ctx.config.set_profile_value(SHORT_CODE, "api_operator.username", "mamaapi2")
    ctx.config.save()
    vault.set_current(CredentialRef(SHORT_CODE, "api-operator", "mamaapi2"), Secret(PASSWORD))
    assert checks_of(run(capsys, "status", "--json")[1])["operator.api"] == "unknown"
    journal = ctx.journal(f"rotate-{SHORT_CODE}")
    journal.record("rotate", "start", rotation="abc123", operator="api", strategy="alternating", username=API)
    journal.record("rotate", "finish", username="mamaapi2")
    journal.archive()
    assert checks_of(run(capsys, "status", "--json")[1])["operator.api"] == "ok"
