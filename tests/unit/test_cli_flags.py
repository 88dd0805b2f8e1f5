"""Every ``--flag`` that a message, a hint or a help text of the agent names exists on some ``mpesa-agent``
command (a hint that names a missing flag sends the user into a dead end)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from agent.cli import cli

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")

#: Flags of other programs that the agent's texts name on purpose.
FOREIGN = {
    # gnome-keyring-daemon, in the keyring hints of agent/vault.py
    "--unlock": "gnome-keyring-daemon",
    "--components": "gnome-keyring-daemon",
    "--replace": "gnome-keyring-daemon",
    # Chromium switches passed at launch (agent/portal/browser.py), not texts for the user
    "--no-first-run": "chromium",
    "--disable-background-networking": "chromium",
    "--disable-component-update": "chromium",
    # an example helper program's own argument, in the otp_command hint of agent/helper_env.py
    "--last": "an SMS bridge program",
}


def cli_flags() -> set[str]:
    found = {"--help", "-h", "--version"}

    def walk(command: click.Command) -> None:
        for param in command.params:
            found.update(o for o in [*param.opts, *param.secondary_opts] if o.startswith("--"))
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                walk(sub)

    walk(cli)
    return found


def named_flags() -> dict[str, set[str]]:
    """Every ``--flag`` in a string literal (f-string parts too) of the agent's code, with the files naming it."""
    named: dict[str, set[str]] = {}
    for path in sorted((ROOT / "agent").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for flag in FLAG.findall(node.value):
                    named.setdefault(flag, set()).add(path.relative_to(ROOT).as_posix())
    return named


def test_every_flag_named_in_a_message_exists() -> None:
    known = cli_flags()
    missing = {flag: sorted(files) for flag, files in named_flags().items() if flag not in known | set(FOREIGN)}
    assert not missing, f"messages name flags that no command has: {missing}"


def test_the_check_sees_flags() -> None:
    named = named_flags()
    assert {"--resume", "--abandon", "--codes-from", "--admin-password-stdin"} <= set(named)
    assert "--if-older-than" in cli_flags()


def test_the_foreign_flags_are_still_named() -> None:
    """An entry of FOREIGN that no text names any more must go (it would hide a real mistake)."""
    assert set(FOREIGN) <= set(named_flags())


def test_every_flag_the_readme_names_exists() -> None:
    tools = {"--check": "ruff format", "--strict": "mypy"}
    named = set(FLAG.findall((ROOT / "README.md").read_text(encoding="utf-8")))
    assert named - cli_flags() - set(FOREIGN) - set(tools) == set()
