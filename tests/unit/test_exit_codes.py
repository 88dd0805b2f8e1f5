"""The documented exit codes at the CLI's one error boundary: something that exists already is 2 (8 means only "in
flight"), an unreachable portal or Daraja is 10 with a clear message, Ctrl-C is 130 on one line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli import main
from agent.errors import ExitStatus
from agent.golive.daraja import DarajaUnavailableError
from agent.secret import Secret
from agent.vault import CredentialRef, Vault, open_vault
from agent.workflows import sites
from tests.harness.wordpress import SandboxShopServer

pytestmark = pytest.mark.unit


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


@pytest.fixture(autouse=True)
def _logging_back() -> Iterator[None]:
    """Ctrl-C silences logging for the rest of the process; a test process goes on."""
    yield
    logging.disable(logging.NOTSET)


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


def test_config_exists_is_2_not_8(capsys: pytest.CaptureFixture[str], agent_home: Path) -> None:
    assert run(capsys, "config", "init")[0] == 0
    code, _, err = run(capsys, "config", "init")
    assert code == ExitStatus.USAGE
    assert "exists already" in err
    assert "--force" in err


def test_already_linked_is_2_not_8(
    capsys: pytest.CaptureFixture[str], vault: Vault, shop: SandboxShopServer, agent_home: Path
) -> None:
    from agent.context import Context

    sites.link_site(Context.build(vault=vault), shop.url, "shopadmin", Secret(shop.app_password()))
    code, _, err = run(capsys, "link-site", shop.url)
    assert code == ExitStatus.USAGE
    assert "linked already" in err


def test_an_unreachable_portal_is_10_with_a_network_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, agent_home: Path
) -> None:
    class PlaywrightError(Exception):  # what Page.goto raises for a refused connection
        pass

    def refused(*_a: object, **_k: object) -> object:
        raise PlaywrightError("Page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:9/\nCall log: ...")

    monkeypatch.setattr("agent.workflows.status.collect_status", refused)
    code, _, err = run(capsys, "status")
    assert code == ExitStatus.NETWORK == 10
    assert "Could not reach" in err
    assert "net::ERR_CONNECTION_REFUSED" in err
    assert "Unexpected" not in err


def test_daraja_unavailable_is_10(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, agent_home: Path
) -> None:
    def down(*_a: object, **_k: object) -> object:
        raise DarajaUnavailableError("Daraja could not be reached (token).", hint="Try again in a few minutes.")

    monkeypatch.setattr("agent.workflows.status.collect_status", down)
    code, _, err = run(capsys, "doctor", "--json")
    assert code == ExitStatus.NETWORK
    assert "Daraja could not be reached" in err


def test_ctrl_c_is_130_on_one_line_and_rotate_says_resume(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, agent_home: Path
) -> None:
    def interrupted(*_a: object, **_k: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr("agent.workflows.status.collect_status", interrupted)
    code, out, err = run(capsys, "status")
    assert code == ExitStatus.INTERRUPTED == 130
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    monkeypatch.setattr("agent.workflows.rotation.run_rotation", interrupted)
    code, _, err = run(capsys, "rotate", "--yes")
    assert code == 130
    assert "mpesa-agent rotate --resume" in err


def test_unlink_revoke_succeeds_when_the_site_already_deleted_the_password(
    capsys: pytest.CaptureFixture[str], vault: Vault, shop: SandboxShopServer, agent_home: Path
) -> None:
    from agent.context import Context

    sites.link_site(Context.build(vault=vault), shop.url, "shopadmin", Secret(shop.app_password()))
    for user in shop.state.users.values():
        user.app_passwords.clear()  # deleted in wp-admin (Users > Profile > Application Passwords)
    code, out, err = run(capsys, "unlink-site", shop.url, "--revoke")
    assert code == ExitStatus.OK, err
    assert "deleted there already" in out
    assert shop.url not in Context.build(vault=vault).config.sites
    assert run(capsys, "sites", "--json")[1].strip() == "[]"


def test_rollback_dry_run_renders_for_humans_and_exits_0(
    capsys: pytest.CaptureFixture[str], vault: Vault, shop: SandboxShopServer, agent_home: Path
) -> None:
    from agent.context import Context

    ctx = Context.build(vault=vault)
    ctx.config.set_profile("600000", {"short_code": "600000", "api_operator": {"username": "mamaapi"}})
    ctx.config.save()
    vault.set_current(CredentialRef("600000", "api-operator", "mamaapi"), Secret("Kx7#mQ2$vL9%"))
    sites.link_site(Context.build(vault=vault), shop.url, "shopadmin", Secret(shop.app_password()))
    assert sites.push(Context.build(vault=vault), None, None, False).ok
    code, out, err = run(capsys, "rollback", "--dry-run")
    assert code == ExitStatus.OK, out + err
    assert not out.lstrip().startswith("{")  # for people: JSON only with --json
    assert shop.url in out
    code, out, _ = run(capsys, "rollback", "--dry-run", "--json")
    assert code == 0
    assert json.loads(out)["dry_run"] is True


@pytest.mark.parametrize("url", ["htp://shop.example", "ftp://shop.example", "user:pw@shop.example", "https://"])
def test_a_malformed_site_address_is_bad_input_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    import io

    monkeypatch.setenv("MPESA_AGENT_VAULT", "memory")
    monkeypatch.setattr("sys.stdin", io.StringIO("abcd efgh ijkl mnop qrst uvwx\n"))
    code, _out, err = run(capsys, "link-site", url, "--username", "shopadmin", "--password-stdin")
    assert code == ExitStatus.USAGE, err
    assert err.startswith("Error: "), err
    assert "Traceback" not in err
