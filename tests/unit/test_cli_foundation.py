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
# Options whose names contain such a word but whose values are not secrets (who supplies the captcha).
NOT_SECRET = {"--captcha-from"}


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
