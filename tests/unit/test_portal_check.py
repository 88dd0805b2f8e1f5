"""The portal check's pure parts: snapshot redaction, private files, the report's exit status, and that every
element it requires exists in the shipped page map of each generation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from agent import resources
from agent.errors import ExitStatus
from agent.portal.check import MUST_SHOW, CheckItem, CheckReport, redact_snapshot, write_private

pytestmark = pytest.mark.unit


def test_field_values_and_known_secrets_are_cut() -> None:
    snapshot = "\n".join(
        [
            '- textbox "User Name": sandboxadmin',
            '- textbox "Password" [disabled]: Kanari#1',
            '- combobox "ID Type": National ID',
            "- searchbox: 0712345678",
            '- button "Login"',
            "- text: Welcome Kanari#1",
            '- heading "Create Organization Operator" [level=2]',
        ]
    )
    out = redact_snapshot(snapshot, ["Kanari#1"])
    for value in ("sandboxadmin", "National ID", "0712345678"):
        assert value not in out
    assert "Kanari#1" not in out
    assert '- textbox "User Name"' in out
    assert '- button "Login"' in out
    assert '- heading "Create Organization Operator" [level=2]' in out


def test_private_files(tmp_path: Path) -> None:
    path = tmp_path / "rec" / "01-login.txt"
    write_private(path, "é\n")
    assert path.read_bytes() == "é\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_exit_status_is_6_when_anything_is_missing_or_the_scan_stopped() -> None:
    ok = CheckReport("classic", [CheckItem("login", "user_name", "the field", True, "top")])
    assert ok.exit_status == ExitStatus.OK
    missing = CheckReport("classic", [CheckItem("login", "user_name", 'the field labelled "User Name"', False)])
    assert missing.exit_status == ExitStatus.PORTAL_CHANGED
    assert any('✗ login.user_name: the field labelled "User Name"' in line for line in missing.lines())
    stopped = CheckReport("classic", stopped="The portal's 'browse' screen does not show the link")
    assert stopped.exit_status == ExitStatus.PORTAL_CHANGED


@pytest.mark.parametrize("generation", ["classic", "current"])
def test_every_required_key_is_in_the_page_map(generation: str) -> None:
    data = resources.load_toml("portal.toml")[generation]
    known = {screen for screen in MUST_SHOW if screen in data}
    assert {"login", "operators", "create"} <= known
    for screen in known:
        present = [key for key in MUST_SHOW[screen] if key in data[screen]]
        assert present, (generation, screen)
        assert "screen" in data[screen] or screen == "login"
