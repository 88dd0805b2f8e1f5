"""Where go-live's consumer key, secret and passkey come from: three stdin lines, the documented variables, or a
hidden prompt; never the command line. The source is logged, never the value."""

from __future__ import annotations

import io
import logging

import pytest

from agent import cli
from agent.errors import NeedsHumanError, UsageError

pytestmark = pytest.mark.unit

VARIABLES = ("MPESA_AGENT_CONSUMER_KEY", "MPESA_AGENT_CONSUMER_SECRET", "MPESA_AGENT_PASSKEY")


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_three_stdin_lines(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr("sys.stdin", _Pipe("Key123\nSecret456\nPass789 \n"))
    caplog.set_level(logging.INFO, logger="agent")
    keys = cli.read_go_live_secrets(True)
    assert (keys.consumer_key.reveal(), keys.consumer_secret.reveal(), keys.passkey.reveal()) == (
        "Key123",
        "Secret456",
        "Pass789",
    )
    assert "passkey: read from standard input" in caplog.text
    assert "Secret456" not in caplog.text


def test_a_missing_stdin_line_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _Pipe("Key123\nSecret456\n"))
    with pytest.raises(UsageError, match="no passkey"):
        cli.read_go_live_secrets(True)


def test_the_documented_variables(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for name, value in zip(VARIABLES, ("K1", "S2", "P3"), strict=True):
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdin", _Pipe(""))
    caplog.set_level(logging.INFO, logger="agent")
    keys = cli.read_go_live_secrets(False)
    assert (keys.consumer_key.reveal(), keys.consumer_secret.reveal(), keys.passkey.reveal()) == ("K1", "S2", "P3")
    assert "read from the environment variable MPESA_AGENT_CONSUMER_SECRET" in caplog.text
    assert "S2" not in caplog.text.replace("MPESA_AGENT", "")


def test_no_source_and_no_terminal_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.stdin", _Pipe(""))
    with pytest.raises(NeedsHumanError) as caught:
        cli.read_go_live_secrets(False)
    assert "MPESA_AGENT_CONSUMER_KEY" in (caught.value.hint or "")


def test_no_secret_is_an_option() -> None:
    command = cli.cli.commands["go-live"]
    options = {o for p in command.params for o in p.opts}
    assert "--secrets-stdin" in options
    assert not {o for o in options if any(w in o for w in ("key", "secret=", "passkey", "password"))} - {
        "--secrets-stdin"
    }
