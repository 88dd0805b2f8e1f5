"""Every input validated at the edge: generated bad configuration files and bad command-line values end in a
documented exit status other than 1 ("a bug"), a one-line "Error: ..." reason, no traceback, and nothing stored
changed (the configuration file's bytes, the vault's items).

The property test runs the real CLI entry point in-process (``agent.cli.main``) with an in-memory vault; the
configuration is rewritten for each example. Commands used: ``config show`` (parses and checks the whole file),
``setup --dry-run`` (plans: every profile value and the portal address) and ``push --dry-run`` (profiles, sites).
"""

from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.cli import main
from agent.errors import ExitStatus

pytestmark = pytest.mark.unit

DOCUMENTED = {int(s) for s in ExitStatus} - {int(ExitStatus.OK), int(ExitStatus.ERROR)}

GOOD_PROFILE: dict[str, Any] = {
    "short_code": "600000",
    "admin_username": "mamaadmin",
    "owner_msisdn": "0712345678",
    "web_operator": {"username": "mamaweb", "first_name": "Wanjiku", "last_name": "Kamau", "id_number": "12345678"},
    "api_operator": {"username": "mamaapi"},
}

# Values of the wrong type (or shape) for any key.
_scalars = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b", "username"]), st.integers(), max_size=2),
)
_bad_text = st.one_of(
    st.text(min_size=1, max_size=40),
    st.text(alphabet="\u043e\u0435\u00e9\u4e2d\U0001f600'\"\\ \t", min_size=1, max_size=12),
    st.sampled_from(["'", '"', "a'b", 'sms "bridge', "-1", "99999", "0", "\x00", " "]),
)
_profile_keys = st.sampled_from(
    [
        "short_code",
        "admin_username",
        "owner_msisdn",
        "portal_url",
        "organization_name",
        "trusted_portal_hosts",
        "web_operator",
        "api_operator",
        "web_operator.username",
        "web_operator.first_name",
        "web_operator.id_number",
        "web_operator.date_of_birth",
        "web_operator.email",
        "api_operator.username",
        "api_operator.role_set",
    ]
)
_settings_keys = st.sampled_from(
    [
        "portal_url",
        "ui",
        "headless",
        "timeout_ms",
        "human_timeout_s",
        "captcha_provider",
        "otp_provider",
        "otp_command",
        "captcha_command",
        "password_max_age_days",
        "no_such_setting",
    ]
)


def _set(table: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = table
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


@st.composite
def bad_configs(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["profile-value", "setting", "shape", "bytes", "nested"]))
    data: dict[str, Any] = {"default_profile": "600000", "profiles": {"600000": dict(GOOD_PROFILE)}}
    if kind == "profile-value":
        _set(data["profiles"]["600000"], draw(_profile_keys), draw(st.one_of(_scalars, _bad_text)))
    elif kind == "setting":
        data["settings"] = {draw(_settings_keys): draw(st.one_of(_scalars, _bad_text))}
    elif kind == "shape":
        where = draw(st.sampled_from(["profiles", "profile", "site", "settings", "default_profile", "sites"]))
        value = draw(_scalars.filter(lambda v: not isinstance(v, dict)) | _bad_text)
        if where == "profiles":
            data["profiles"] = value if not isinstance(value, str) else [value]
        elif where == "profile":
            data["profiles"]["600000"] = value
        elif where == "site":
            data["sites"] = {"https://shop.example": value}
        elif where == "settings":
            data["settings"] = value
        elif where == "default_profile":
            data["default_profile"] = draw(_scalars)
        else:
            data["sites"] = value
    elif kind == "nested":
        depth = draw(st.integers(min_value=50, max_value=3000))
        return ("x = " + "[" * depth + "]" * depth + "\n").encode()
    else:
        return draw(
            st.one_of(
                st.binary(min_size=1, max_size=200).filter(lambda b: not _is_utf8(b)),
                st.just(b"\xff\xfe" + "profiles = 1\n".encode("utf-16-le")),
                st.just(b"a" * (2 * 1024 * 1024)),
                st.just(b"[profiles\n"),
            )
        )
    try:
        return tomlkit.dumps(data).encode()
    # A value tomlkit cannot write (e.g. a huge integer): the file is written by hand instead.
    except (ValueError, TypeError, OverflowError, tomlkit.exceptions.TOMLKitError):
        return f"profiles = {data.get('profiles')!r}\n".encode()


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@st.composite
def bad_options(draw: st.DrawFn) -> list[str]:
    option = draw(st.sampled_from(["--portal-url", "--phone", "--short-code", "--web-username", "--api-username"]))
    value = draw(
        st.one_of(
            _bad_text.filter(lambda v: v.strip() != "" and "\x00" not in v),
            st.sampled_from(
                [
                    "http://evil.example",
                    "https://org.ke.m-pesa.com@evil.example",
                    "https://org.ke.m-pesa.com.evil.example",
                    "javascript:alert(1)",
                    "file:///etc/passwd",
                    "data:text/html,x",
                    "chrome://settings",
                    "https://\u043erg.ke.m-pesa.com/",
                ]
            ),
        )
    )
    if option == "--portal-url":
        value = draw(st.sampled_from(["", "ftp://", "http://", "https://"])) + value
    return ["setup", "--dry-run", "--non-interactive", option, value]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
    else:  # pragma: no cover - main always exits
        code = 0
    return code, capsys.readouterr().err


def _assert_clear_refusal(code: int, err: str, what: object) -> None:
    assert code in DOCUMENTED, (code, what, err[-800:])
    assert "Traceback" not in err, (what, err[-800:])
    assert "Error: Unexpected " not in err, (what, err[-800:])
    reasons = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert len(reasons) == 1, (what, err[-800:])
    assert len(reasons[0]) < 600, (what, reasons[0][:200])


@pytest.fixture
def home(agent_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MPESA_AGENT_VAULT", "memory")
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    return config


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=bad_configs(), command=st.sampled_from([["config", "show"], ["setup", "--dry-run", "--non-interactive"]]))
def test_bad_configuration_files_are_clear_errors(
    home: Path, capsys: pytest.CaptureFixture[str], raw: bytes, command: list[str]
) -> None:
    home.write_bytes(raw)
    code, err = _run(command, capsys)
    if code == 0:
        # Accepted: only when the value happens to be valid (e.g. a text that is a real name). Nothing changed.
        assert home.read_bytes() == raw
        return
    _assert_clear_refusal(code, err, raw[:120])
    assert home.read_bytes() == raw  # nothing stored changed


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=bad_options())
def test_bad_command_line_values_are_clear_errors(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    raw = tomlkit.dumps({"default_profile": "600000", "profiles": {"600000": GOOD_PROFILE}}).encode()
    home.write_bytes(raw)
    code, err = _run(argv, capsys)
    if code != 0:
        _assert_clear_refusal(code, err, argv)
    assert home.read_bytes() == raw


def test_the_named_cases_of_the_issue(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    cases: list[tuple[str, bytes]] = [
        ("profiles as a list", b'profiles = ["600000"]\n'),
        ("a profile as a string", b'[profiles]\n600000 = "x"\n'),
        ("a site entry as an int", b'[sites]\n"https://shop.example" = 5\n'),
        ("deeply nested tables", b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n"),
        ("not UTF-8", "[profiles.600000]\nadmin_username = 'é'\n".encode("latin-1")),
    ]
    for what, raw in cases:
        home.write_bytes(raw)
        code, err = _run(["config", "show"], capsys)
        _assert_clear_refusal(code, err, what)
    monkeypatch.setenv("MPESA_AGENT_CONFIG", os.devnull if os.name == "nt" else "/dev/zero")
    code, err = _run(["config", "show"], capsys)
    _assert_clear_refusal(code, err, "/dev/zero")
    monkeypatch.delenv("MPESA_AGENT_CONFIG")
    home.write_bytes(tomlkit.dumps({"default_profile": "600000", "profiles": {"600000": GOOD_PROFILE}}).encode())
    code, err = _run(["setup", "--dry-run", "--non-interactive", "--codes-command", "sms 'bridge"], capsys)
    assert code in (0, *DOCUMENTED), err  # a dry run does not start the helper; the real run checks it
    assert set(string.printable) >= set("".join(err.splitlines()[:1]))  # plain text
