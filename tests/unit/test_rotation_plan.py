"""``rotate --dry-run`` prints the plan in the order the strategy runs it and changes nothing; on a terminal
``rotate`` shows the plan and asks y/N (No: nothing runs, exit 3); ``--yes`` does not ask."""

from __future__ import annotations

import copy
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli import main
from agent.context import Context
from agent.errors import ExitStatus
from agent.secret import Secret
from agent.vault import CredentialRef, Vault, open_vault
from agent.workflows.rotation.alternating import ALTERNATING
from agent.workflows.rotation.single import SINGLE
from tests.portal.conftest import PROFILE

pytestmark = pytest.mark.unit


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _logging_back() -> Iterator[None]:
    """Ctrl-C (the --yes test's stop) silences logging for the rest of the process; a test process goes on."""
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture
def vault(monkeypatch: pytest.MonkeyPatch, agent_home: Path) -> Vault:
    memory = open_vault("memory")
    monkeypatch.setattr("agent.vault.open_vault", lambda _kind=None: memory)
    ctx = Context.build(vault=memory)
    ctx.config.set_profile("600000", copy.deepcopy(PROFILE))
    ctx.config.save()
    memory.set_current(CredentialRef("600000", "api-operator", "duka_api"), Secret("Api#12345abcd"))
    memory.set_current(CredentialRef("600000", "web-operator", "duka_web"), Secret("Web#12345abcd"))
    return memory


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def no_rotation(*_a: object, **_k: object) -> object:
    raise AssertionError("the rotation ran")


def position(steps: list[str], word: str) -> int:
    return next(i for i, step in enumerate(steps) if word in step)


def test_single_dry_run_is_the_real_order_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("agent.workflows.rotation.run_rotation", no_rotation)
    code, out, _ = run(capsys, "rotate", "--dry-run", "--json")
    assert code == ExitStatus.OK
    plan = json.loads(out)
    assert (plan["dry_run"], plan["strategy"], plan["username"]) == (True, "single", "duka_api")
    steps = plan["steps"]
    # SINGLE runs stage, portal-set, promote, push, verify: the plan says so in that order.
    assert [s.key for s in SINGLE.steps][1:] == ["stage", "portal-set", "promote", "push", "verify"]
    assert position(steps, "pending") < position(steps, "Set Password") < position(steps, "current")
    assert position(steps, "current") < position(steps, "push")
    assert vault.get(CredentialRef("600000", "api-operator", "duka_api"), "pending") is None
    code, out, _ = run(capsys, "rotate", "--dry-run")
    assert code == 0
    assert "1. read every linked site" in out
    assert "Nothing was changed" in out


def test_alternating_dry_run_says_it_creates_closes_and_rewrites(
    capsys: pytest.CaptureFixture[str], vault: Vault, monkeypatch: pytest.MonkeyPatch, agent_home: Path
) -> None:
    monkeypatch.setattr("agent.workflows.rotation.run_rotation", no_rotation)
    before = (agent_home / "config" / "config.toml").read_text()
    code, out, _ = run(capsys, "rotate", "--strategy", "alternating", "--dry-run", "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["new_username"] == "duka_api2"
    steps = plan["steps"]
    keys = [s.key for s in ALTERNATING.steps]
    assert keys.index("alt-create") < keys.index("switch") < keys.index("alt-close")
    assert position(steps, "CREATE") < position(steps, "SWITCH") < position(steps, "CLOSE") < position(steps, "REWRITE")
    assert (agent_home / "config" / "config.toml").read_text() == before


def test_a_terminal_is_asked_and_no_runs_nothing(
    capsys: pytest.CaptureFixture[str], vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("agent.workflows.rotation.run_rotation", no_rotation)
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, _, err = run(capsys, "rotate", "--captcha-from", "prompt", "--codes-from", "prompt")
    assert code == ExitStatus.NEEDS_HUMAN
    assert "Plan: rotate the API operator duka_api" in err
    assert "Rotate now? [y/N]" in err


def test_yes_does_not_ask(capsys: pytest.CaptureFixture[str], vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[object] = []

    def fake(_ctx: object, request: object) -> object:
        ran.append(request)
        raise KeyboardInterrupt  # stop here: whether it ran is the question

    monkeypatch.setattr("agent.workflows.rotation.run_rotation", fake)
    monkeypatch.setattr("sys.stdin", Terminal(""))
    code, _, err = run(capsys, "rotate", "--yes")
    assert ran
    assert "[y/N]" not in err
    assert code == ExitStatus.INTERRUPTED
