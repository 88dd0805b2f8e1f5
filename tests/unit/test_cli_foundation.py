"""The CLI skeleton: help, version, usage errors, the error boundary and the no-secrets-on-argv rule."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from agent import __version__
from agent.cli import cli, main
from agent.errors import AgentError, ExitStatus

pytestmark = pytest.mark.unit


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True, timeout=60)


def test_help_lists_commands() -> None:
    res = run("--help")
    assert res.returncode == 0
    assert "Usage: mpesa-agent" in res.stdout
    assert "demo" in res.stdout


def test_version() -> None:
    res = run("--version")
    assert res.returncode == 0
    assert __version__ in res.stdout


def test_unknown_command_is_usage_error() -> None:
    res = run("bogus")
    assert res.returncode == ExitStatus.USAGE
    assert "No such command" in res.stderr


def test_error_boundary_maps_domain_errors(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    class Boom(AgentError):
        exit_status = ExitStatus.VERIFY

    @cli.command("boom-test", hidden=True)
    def boom() -> None:
        raise Boom("the plugin holds another initiator", hint="run: mpesa-agent push")

    try:
        with pytest.raises(SystemExit) as info:
            main(["boom-test"])
        assert info.value.code == ExitStatus.VERIFY
        err = capsys.readouterr().err
        assert "Error: the plugin holds another initiator" in err
        assert "Next: run: mpesa-agent push" in err
        assert "Traceback" not in err
    finally:
        cli.commands.pop("boom-test")


def test_unexpected_error_is_exit_1_without_traceback_unless_debug(capsys: pytest.CaptureFixture[str]) -> None:
    @cli.command("crash-test", hidden=True)
    def crash() -> None:
        raise ZeroDivisionError("boom")

    try:
        with pytest.raises(SystemExit) as info:
            main(["crash-test"])
        assert info.value.code == ExitStatus.ERROR
        assert "Traceback" not in capsys.readouterr().err
        with pytest.raises(SystemExit):
            main(["--debug", "crash-test"])
        assert "Traceback" in capsys.readouterr().err
    finally:
        cli.commands.pop("crash-test")


SECRET_WORDS = ("password", "passwd", "secret", "token", "otp", "captcha", "answer", "pin", "key")
# Options whose names contain such a word but whose values are not secrets (who supplies the captcha, and how).
NOT_SECRET = {"--captcha-from", "--captcha-command"}  # a program that prints the captcha, not its text


def _walk(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        out.append((prefix + name, command))
        if isinstance(command, click.Group):
            out.extend(_walk(command, prefix + name + " "))
    return out


def test_no_command_accepts_a_secret_as_an_option_value() -> None:
    """Secrets never travel on argv: options whose names look secret must be flags (e.g. --password-stdin)."""
    offenders = []
    for path, command in _walk(cli):
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            names = " ".join(param.opts + param.secondary_opts).lower()
            if set(param.opts) <= NOT_SECRET:
                continue
            if any(word in names for word in SECRET_WORDS) and not param.is_flag:
                offenders.append(f"{path}: {names}")
    assert offenders == []


def test_under_json_an_error_is_json_on_stdout_too(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from agent.cli import STATE

    @cli.command("json-boom-test", hidden=True)
    @click.option("--json", "as_json", is_flag=True)
    def boom(as_json: bool) -> None:
        STATE.json = as_json
        from agent.errors import PortalError

        raise PortalError("The operator mamaapi is Closed.", hint="Choose another user name, then run setup.")

    try:
        with pytest.raises(SystemExit) as info:
            main(["json-boom-test", "--json"])
        assert info.value.code == ExitStatus.PORTAL_REFUSED == 9, "the portal refused: not exit 1 (a bug)"
        out = capsys.readouterr()
        answer = json.loads(out.out)
        assert answer == {
            "ok": False,
            "error": "PortalError",
            "message": "The operator mamaapi is Closed.",
            "hint": "Choose another user name, then run setup.",
            "exit_status": 9,
        }
        assert "Error: The operator mamaapi is Closed." in out.err
    finally:
        STATE.json = False
        cli.commands.pop("json-boom-test")


def test_a_command_returns_its_exit_status_and_only_main_exits(capsys: pytest.CaptureFixture[str]) -> None:
    @cli.command("status-test", hidden=True)
    def partial() -> ExitStatus:
        click.echo("partly done")
        return ExitStatus.SITE

    try:
        with pytest.raises(SystemExit) as info:
            main(["status-test"])
        assert info.value.code == ExitStatus.SITE
        assert "partly done" in capsys.readouterr().out
    finally:
        cli.commands.pop("status-test")


def test_no_command_calls_sys_exit() -> None:
    """Only ``main`` exits: commands return their result's exit status."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[2] / "agent" / "cli.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name not in ("main", "_fail"):
            calls = [
                n
                for n in ast.walk(node)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "exit"
            ]
            assert not calls, f"{node.name} exits by itself"
