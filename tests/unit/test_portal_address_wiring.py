"""The portal address check is wired into every command that logs in: setup (plan, dry run and real run) and rotate
refuse each hostile address with exit 2 before any browser starts; a host the profile trusts is announced before the
session opens; the plan shows the ASCII (punycode) host."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from agent import settings
from agent.cli import main
from agent.context import Context
from agent.errors import ExitStatus, UsageError
from agent.portal_address import PortalAddressError
from agent.vault import open_vault
from agent.workflows.plan import SetupRequest, make_plan
from agent.workflows.progress import RecordingReporter
from agent.workflows.setup import run_setup
from tests.unit.test_portal_address import HOSTILE

pytestmark = pytest.mark.unit

PROFILE = """
default_profile = "600000"

[profiles.600000]
short_code = "600000"
admin_username = "mamaadmin"
owner_msisdn = "0712345678"
{extra}

[profiles.600000.web_operator]
username = "mamaweb"
first_name = "Wanjiku"
last_name = "Kamau"
id_number = "12345678"

[profiles.600000.api_operator]
username = "mamaapi"
"""


def _write_config(extra: str = "") -> Path:
    path = settings.paths().ensure().config_file
    path.write_text(PROFILE.format(extra=extra), encoding="utf-8")
    return path


class BrowserStarted(AssertionError):
    pass


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replaces the portal session: records the URL it was opened with, then stops the run."""
    opened: list[str] = []

    @contextmanager
    def fake_session(options: Any, human: Any, **_: Any) -> Iterator[Any]:
        opened.append(options.url)
        raise BrowserStarted(options.url)
        yield  # pragma: no cover

    monkeypatch.setattr("agent.portal.session.portal_session", fake_session)
    return opened


# An empty --portal-url means "not given" (the profile's, else the real portal), so it is not in this list.
@pytest.mark.parametrize("url", [url for url in HOSTILE if url])
def test_setup_refuses_every_hostile_address_before_a_browser(
    agent_home: Path, no_browser: list[str], url: str
) -> None:
    _write_config()
    ctx = Context.build(vault=open_vault("memory"))
    with pytest.raises(PortalAddressError) as info:
        make_plan(ctx, SetupRequest(profile=None, overrides={}, portal_url=url, interactive=False), None)
    assert info.value.exit_status == ExitStatus.USAGE
    assert no_browser == []


@pytest.mark.parametrize("url", ["http://evil.example", "https://org.ke.m-pesa.com@evil.example", "javascript:x"])
def test_the_cli_exits_2_for_a_hostile_profile_address(
    agent_home: Path, no_browser: list[str], url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_config(f'portal_url = "{url}"')
    for argv in (["setup", "--non-interactive"], ["setup", "--non-interactive", "--dry-run"], ["rotate"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        err = capsys.readouterr().err
        assert info.value.code == ExitStatus.USAGE, (argv, err)
        assert "Refusing the portal address" in err
        assert "Traceback" not in err
    assert no_browser == []


def test_the_plan_shows_the_ascii_host(agent_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_config('trusted_portal_hosts = ["портал.example"]')
    ctx = Context.build(vault=open_vault("memory"))
    plan = make_plan(
        ctx, SetupRequest(profile=None, overrides={}, portal_url="https://портал.example/", interactive=False), None
    )
    assert plan.portal_host == "xn--80awhdgm.example"
    assert plan.portal_url.startswith("https://xn--80awhdgm.example")
    assert plan.as_dict()["portal_trusted_by_profile"] is True
    with pytest.raises(SystemExit) as info:
        main(["setup", "--non-interactive", "--dry-run", "--portal-url", "https://портал.example/"])
    assert info.value.code == ExitStatus.OK
    out = capsys.readouterr()
    assert "xn--80awhdgm.example" in out.out + out.err
    assert "портал" not in out.out


def test_a_trusted_host_is_announced_before_the_session_opens(agent_home: Path, no_browser: list[str]) -> None:
    _write_config('trusted_portal_hosts = ["portal.example.co.ke"]')
    said: list[str] = []

    class Reporter(RecordingReporter):
        def info(self, text: str) -> None:
            said.append(f"{len(no_browser)}:{text}")

    ctx = Context.build(vault=open_vault("memory"), reporter=Reporter(None))
    plan = make_plan(
        ctx,
        SetupRequest(profile=None, overrides={}, portal_url="https://portal.example.co.ke/", interactive=False),
        None,
    )
    with pytest.raises(BrowserStarted):
        run_setup(ctx.replace(human=object()), plan)
    assert no_browser == ["https://portal.example.co.ke/"]
    assert said
    assert said[0].startswith("0:The portal address portal.example.co.ke is not a Safaricom")


def test_the_real_portal_and_the_sandbox_are_not_announced(agent_home: Path) -> None:
    _write_config()
    ctx = Context.build(vault=open_vault("memory"))
    for url in ("https://org.ke.m-pesa.com", "http://127.0.0.1:8123"):
        plan = make_plan(ctx, SetupRequest(profile=None, overrides={}, portal_url=url, interactive=False), None)
        assert plan.portal_announcement == ""
        assert plan.portal_url == url


def test_a_trusted_hosts_value_of_the_wrong_type_is_a_clear_error(agent_home: Path) -> None:
    _write_config("trusted_portal_hosts = 5")
    ctx = Context.build(vault=open_vault("memory"))
    request = SetupRequest(profile=None, overrides={}, portal_url="https://x.example", interactive=False)
    with pytest.raises(UsageError) as info:
        make_plan(ctx, request, None)
    assert "trusted_portal_hosts" in str(info.value)
    assert getattr(info.value, "exit_status", None) == ExitStatus.USAGE
