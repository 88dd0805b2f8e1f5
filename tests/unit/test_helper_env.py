"""The ``command`` provider's helper program: its minimal environment, its argv (string and list forms, POSIX and
Windows splitting), clear errors for bad commands, and the captcha image written byte for byte.

A real helper program (this Python, running a small script) dumps the environment and argv it was given to a file,
so the tests look at what the program really received, not at what we meant to give it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.errors import ExitStatus, UsageError
from agent.helper_env import command_argv, helper_environment, mask_phone, split_windows
from agent.portal.human import CommandInput, make_human, save_private
from agent.secret import Secret

pytestmark = pytest.mark.unit

DUMP = """
import json, os, sys
out = sys.argv[1]
with open(out, "w", encoding="utf-8") as fh:
    json.dump({"env": dict(os.environ), "argv": sys.argv}, fh)
want = os.environ.get("MPESA_AGENT_WANT")
print({"otp": "Your code is 123456.", "captcha": "4321", "sms": "Username: duka_web Password: Tmp#Pass99"}[want])
"""


@pytest.fixture
def helper(tmp_path: Path) -> tuple[Path, Path]:
    script = tmp_path / "dump helper.py"  # a space in the path, on purpose
    script.write_text(DUMP, encoding="utf-8")
    return script, tmp_path / "dump.json"


def dumped(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def hostile_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """An environment full of things a helper must not see; returns a remembered secret value."""
    remembered = Secret("Remembered#Val7").reveal()
    monkeypatch.setenv("MPESA_AGENT_ADMIN_PASSWORD", "Admin#Pass123")
    monkeypatch.setenv("MPESA_AGENT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHOP_API_TOKEN", "tok-abcdef")
    monkeypatch.setenv("INNOCENT_NAME", remembered)
    monkeypatch.setenv("LANG", remembered)  # an allowed name with a secret value is still dropped
    monkeypatch.setenv("LC_TIME", "en_KE.UTF-8")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-xyz")
    monkeypatch.setenv("UNRELATED", "plain")
    return remembered


def test_the_helper_gets_only_the_minimal_environment(helper: tuple[Path, Path], hostile_env: str) -> None:
    script, out = helper
    provider = CommandInput([sys.executable, str(script), str(out), "--last"], timeout_s=30)
    assert provider.otp("login", "+254712345678") == Secret("123456")
    got = dumped(out)
    env: dict[str, str] = got["env"]
    # What the program really received (some platforms' runtimes add a few variables of their own, e.g. LC_CTYPE
    # on macOS; everything else must be ours).
    own = {k for k in env if k not in ("LC_CTYPE", "__CF_USER_TEXT_ENCODING")}
    assert own <= {"PATH", "HOME", "LC_TIME", "MPESA_AGENT_WANT", "MPESA_AGENT_PHONE", "MPESA_AGENT_REQUEST_ID"}
    assert env["MPESA_AGENT_WANT"] == "otp"
    assert env["MPESA_AGENT_PHONE"] == "+2547*****678"
    assert len(env["MPESA_AGENT_REQUEST_ID"]) == 32
    assert env["LC_TIME"] == "en_KE.UTF-8"
    for bad in ("Admin#Pass123", "tok-abcdef", hostile_env, "aws-xyz", "plain"):
        assert bad not in json.dumps(got)
    assert got["argv"][1:] == [str(out), "--last"]


def test_captcha_and_sms_requests(helper: tuple[Path, Path], hostile_env: str, tmp_path: Path) -> None:
    script, out = helper
    provider = CommandInput([sys.executable, str(script), str(out)], timeout_s=30)
    png = b"\x89PNG\r\n\x1a\n\x00binary\r\n\n\r"
    assert provider.captcha(png, "login") == Secret("4321")
    env = dumped(out)["env"]
    assert env["MPESA_AGENT_WANT"] == "captcha"
    assert Path(env["MPESA_AGENT_CAPTCHA_FILE"]).read_bytes() == png
    creds = provider.sms_credentials("create", "+254712345678", "duka_web")
    assert creds.username == "duka_web"
    assert creds.password == Secret("Tmp#Pass99")
    env = dumped(out)["env"]
    assert env["MPESA_AGENT_WANT"] == "sms"
    assert env["MPESA_AGENT_PHONE"] == "+2547*****678"


def test_string_form_with_a_quoted_path_runs(helper: tuple[Path, Path], hostile_env: str) -> None:
    script, out = helper
    if sys.platform == "win32":  # pragma: no cover - the same test, Windows quoting
        command = f'"{sys.executable}" "{script}" "{out}" --last'
    else:
        command = f"'{sys.executable}' '{script}' '{out}' --last"
    provider = make_human("command", portal_url="https://org.ke.m-pesa.com", command=command, timeout_s=30)
    assert provider.otp("login", "07** *** 678") == Secret("123456")
    assert dumped(out)["argv"][1:] == [str(out), "--last"]


def test_environment_builder_on_windows_keeps_what_windows_needs() -> None:
    environ = {
        "Path": r"C:\Windows\system32",
        "SystemRoot": r"C:\Windows",
        "windir": r"C:\Windows",
        "ComSpec": r"C:\Windows\system32\cmd.exe",
        "TEMP": r"C:\Temp",
        "TMP": r"C:\Temp",
        "USERPROFILE": r"C:\Users\mama",
        "APPDATA": r"C:\Users\mama\AppData\Roaming",
        "MPESA_AGENT_ADMIN_PASSWORD": "x",
        "GITHUB_TOKEN": "y",
    }
    env = helper_environment("otp", environ=environ, windows=True, request_id="r1")
    assert set(env) == {
        "Path",
        "SystemRoot",
        "windir",
        "ComSpec",
        "TEMP",
        "TMP",
        "USERPROFILE",
        "MPESA_AGENT_WANT",
        "MPESA_AGENT_REQUEST_ID",
    }
    posix = helper_environment("otp", environ=environ, windows=False, request_id="r1")
    assert set(posix) == {"Path", "MPESA_AGENT_WANT", "MPESA_AGENT_REQUEST_ID"}


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        (r'"C:\Program Files\Bridge\sms.exe" --last', [r"C:\Program Files\Bridge\sms.exe", "--last"]),
        (r"C:\tools\sms.exe --last 5", [r"C:\tools\sms.exe", "--last", "5"]),
        (r'sms.exe "a b" c', ["sms.exe", "a b", "c"]),
        (r'sms.exe a\\\\"b c" d', ["sms.exe", r"a\\b c", "d"]),
        (r"sms.exe a\"b", ["sms.exe", 'a"b']),
        (r"sms.exe C:\dir\ x", ["sms.exe", "C:\\dir\\", "x"]),
        (r'sms.exe "say ""hi"""', ["sms.exe", 'say "hi"']),
        ("  sms.exe\t--x  ", ["sms.exe", "--x"]),
        (r'sms.exe ""', ["sms.exe", ""]),
    ],
)
def test_windows_split(command: str, argv: list[str]) -> None:
    assert split_windows(command) == argv
    assert command_argv(command, windows=True) == argv


@pytest.mark.parametrize("command", ['"C:\\Program Files\\sms.exe --last', 'sms.exe "a b', '"x"y --z'])
def test_windows_bad_quotes_are_usage_errors(command: str) -> None:
    with pytest.raises(UsageError) as caught:
        command_argv(command, windows=True)
    assert caught.value.exit_status == ExitStatus.USAGE
    assert "quot" in caught.value.message


def test_posix_split_and_bad_quotes() -> None:
    assert command_argv("'/opt/my bridge/sms' --last", windows=False) == ["/opt/my bridge/sms", "--last"]
    with pytest.raises(UsageError) as caught:
        command_argv("sms-bridge 'unbalanced", windows=False)
    assert caught.value.exit_status == ExitStatus.USAGE
    assert "No closing quotation" in caught.value.message


@pytest.mark.parametrize("command", ["", "   ", [], [""], [1, 2], {"a": 1}, ["ok", None], ["a\x00b"]])
def test_bad_commands_are_usage_errors(command: Any) -> None:
    with pytest.raises(UsageError):
        command_argv(command)
    with pytest.raises(UsageError):
        CommandInput(command, 5)


def test_list_form_is_used_as_given() -> None:
    argv = [r"C:\Program Files\Bridge\sms.exe", "--last", 'it\'s "quoted"']
    assert command_argv(argv, windows=True) == argv
    assert command_argv(tuple(argv), windows=False) == argv


def test_a_secret_on_the_command_line_is_refused() -> None:
    secret = Secret("OnArgv#Secret5")
    with pytest.raises(UsageError) as caught:
        command_argv(["sms-bridge", "--password", secret.reveal()])
    assert secret.reveal() not in caught.value.message + (caught.value.hint or "")


def test_missing_program_is_a_usage_error(tmp_path: Path) -> None:
    provider = CommandInput([str(tmp_path / "no such program")], 5)
    with pytest.raises(UsageError, match="was not found"):
        provider.otp("login", "07** *** 678")


def test_phone_masking() -> None:
    assert mask_phone("+254712345678") == "+2547*****678"
    assert mask_phone("0712 345 678") == "0712 *** 678"
    assert mask_phone("07** *** 678") == "07** *** 678"


def test_save_private_writes_bytes_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPESA_AGENT_HOME", str(tmp_path))
    data = bytes(range(256)) + b"\r\n\n\r\x1a"
    path = save_private(data, "captcha.png")
    assert path.read_bytes() == data
    path = save_private(b"short", "captcha.png")
    assert path.read_bytes() == b"short"
