"""One vocabulary for every command that changes something: each one's ``--help`` (as a user runs it) offers
``--dry-run``, ``--yes`` and ``--json``; the read-only ones offer ``--json``; the input flags are named alike on
``setup`` and ``rotate``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from agent.cli import cli

pytestmark = pytest.mark.unit

MUTATING = ("setup", "link-site", "unlink-site", "push", "rotate", "rollback", "go-live")
READING = ("status", "doctor", "sites")
HUMAN_INPUT = ("--captcha-from", "--captcha-command", "--codes-from", "--codes-command", "--admin-password-stdin")


def help_of(*command: str) -> str:
    result = CliRunner().invoke(cli, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_has_a_help_that_works() -> None:
    for name, command in cli.commands.items():
        text = help_of(name)
        assert "--help" in text, name
        if hasattr(command, "commands"):
            for sub in command.commands:  # type: ignore[attr-defined]
                help_of(name, sub)


@pytest.mark.parametrize("command", MUTATING)
def test_every_mutating_command_has_dry_run_yes_and_json(command: str) -> None:
    text = help_of(command)
    for flag in ("--dry-run", "--yes", "--json"):
        assert flag in text, f"mpesa-agent {command} --help has no {flag}"


@pytest.mark.parametrize("command", READING)
def test_the_reading_commands_have_json_and_offline(command: str) -> None:
    text = help_of(command)
    assert "--json" in text
    assert "--offline" in text


@pytest.mark.parametrize("command", ["setup", "rotate"])
def test_the_human_input_flags_are_the_same_on_setup_and_rotate(command: str) -> None:
    text = help_of(command)
    for flag in HUMAN_INPUT:
        assert flag in text, f"mpesa-agent {command} --help has no {flag}"


def test_status_help_documents_its_exit_codes() -> None:
    text = help_of("status")
    for code in ("0 every check ok", "5 something needs attention", "7 a site", "4 the keyring"):
        assert code in text
