"""User configuration: the example ships with the package and loads; bad files give clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from agent import resources, settings
from agent.context import Context
from agent.errors import AlreadyExistsError, ConfigError, ExitStatus
from agent.workflows.config import init_config

pytestmark = pytest.mark.unit


def test_example_config_loads_and_is_consistent(agent_home: Path) -> None:
    path = init_config(Context.build())
    assert path.is_relative_to(agent_home)
    cfg = settings.load_config()
    assert cfg.default_profile_name() == "600000"
    profile = cfg.require_profile(None)
    assert (profile.key, profile.short_code) == ("600000", "600000")
    assert profile.api_username == "mamaapi"
    assert cfg.settings == settings.Settings()
    assert set(cfg.settings.as_dict()) == set(settings.DEFAULT_SETTINGS)
    with pytest.raises(AlreadyExistsError):  # exit 2: 8 means only "in flight"
        init_config(Context.build())


def test_example_is_shipped_as_package_data() -> None:
    data = tomllib.loads(resources.read_text("mpesa-agent.example.toml"))
    assert "settings" in data


def test_state_is_redirected(agent_home: Path) -> None:
    p = settings.paths()
    for d in (p.config_dir, p.data_dir, p.cache_dir, p.state_dir):
        assert d.is_relative_to(agent_home)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[settings\n", "not valid TOML"),
        ("[settings]\nbogus = 1\n", "Unknown setting 'bogus'"),
        ("[settings]\ntimeout_ms = 'fast'\n", "'settings.timeout_ms' .* must be an integer, not a string"),
        ("[settings]\nheadless = 'no'\n", "'settings.headless' .* must be true or false"),
        ("settings = 3\n", "'settings' .* must be a table"),
        ("profiles = ['a']\n", "'profiles' .* must be a table"),
        ("[profiles]\nmine = 'x'\n", "'profiles.mine' .* must be a table"),
        ("[profiles.a]\napi_operator = 1\n", "'profiles.a.api_operator' .* must be a table"),
        ("[profiles.a.api_operator]\nusername = 7\n", "'profiles.a.api_operator.username' .* must be a string"),
        ("default_profile = 600000\n", "'default_profile' .* must be a string, not an integer"),
        ("[sites]\n'https://x.example' = 1\n", "must be a table"),
        ("[profiles.600000]\nadmin_password = 'x'\n", "looks like a secret"),
    ],
)
def test_bad_config_files(agent_home: Path, text: str, needle: str) -> None:
    path = settings.paths().ensure().config_file
    path.write_text(text)
    with pytest.raises(ConfigError, match=needle) as caught:
        settings.load_config()
    assert caught.value.exit_status == ExitStatus.USAGE


def test_a_config_file_that_is_not_utf8_or_too_big(agent_home: Path) -> None:
    path = settings.paths().ensure().config_file
    path.write_bytes(b"[settings]\nui = '\xff'\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        settings.load_config()
    path.write_bytes(b"#" * (settings.MAX_CONFIG_BYTES + 10))
    with pytest.raises(ConfigError, match="larger than"):
        settings.load_config()


def test_edits_keep_every_comment_and_the_order(agent_home: Path) -> None:
    """link-site, setup and rotation edit the file through tomlkit: what config init wrote survives."""
    init_config(Context.build())
    path = settings.paths().config_file
    before = path.read_text()
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) > 10
    cfg = settings.load_config()
    cfg.set_site("https://shop.example", {"username": "admin", "plugin": "osen-wc-mpesa"})
    cfg.set_profile_value("600000", "api_operator.username", "mamaapi2")
    cfg.set_profile_value("600000", "api_operator.retired", ["mamaapi"])
    cfg.save()
    after = path.read_text()
    for line in comments:
        assert line in after, line
    assert after.index("[settings]") < after.index("[profiles.600000]") < after.index('[sites."https://shop.example"]')
    reread = settings.load_config()
    assert reread.require_profile("600000").api_username == "mamaapi2"
    assert reread.require_profile("600000").retired_api_usernames == ("mamaapi",)
    assert reread.require_profile("600000").get("api_operator.role_set") == "osen-default"
    assert reread.sites["https://shop.example"]["username"] == "admin"
    reread.remove_site("https://shop.example")
    reread.save()
    assert 'shop.example"]' not in path.read_text().replace("# [sites.", "")
    assert comments == [line for line in path.read_text().splitlines() if line.lstrip().startswith("#")]


def test_profile_key_and_short_code_are_separate(agent_home: Path) -> None:
    cfg = settings.load_config()
    cfg.set_profile("duka", {"short_code": "600123", "api_operator": {"username": "mamaapi"}})
    cfg.save()
    profile = Context.build().profile()
    assert (profile.key, profile.short_code) == ("duka", "600123")
    with pytest.raises(ConfigError, match="No profile nope"):
        Context.build().profile("nope")


def test_context_settings_take_overrides_and_the_vault_opens_lazily(agent_home: Path) -> None:
    opened: list[str] = []
    from agent.context import VaultSlot
    from agent.vault import open_vault

    ctx = Context.build(ui="classic", headless=None)
    ctx = ctx.replace(vault_slot=VaultSlot(lambda: opened.append("x") or open_vault("memory")))
    assert ctx.settings.ui == "classic"
    assert ctx.settings.headless is True  # None: not given
    copy = ctx.with_settings(timeout_ms=1)
    assert opened == []
    assert copy.vault is ctx.vault
    assert opened == ["x"]


def test_save_round_trip_is_private(agent_home: Path) -> None:
    cfg = settings.load_config()
    cfg.set_site("https://shop.example", {"profile": "600000", "username": "admin"})
    cfg.save()
    assert (cfg.path.stat().st_mode & 0o777) == 0o600
    assert settings.load_config().sites["https://shop.example"]["username"] == "admin"
    cfg.set_site("https://x.example", {"app_password": "nope"})
    with pytest.raises(ConfigError):
        cfg.save()


def test_site_urls_that_look_like_secret_words_are_fine(agent_home: Path) -> None:
    cfg = settings.load_config()
    cfg.set_site("https://passionfruit.co.ke", {"username": "admin"})
    cfg.set_site("https://tokenshop.example", {"username": "admin"})
    cfg.save()
    assert set(settings.load_config().sites) == {"https://passionfruit.co.ke", "https://tokenshop.example"}


def test_settings_named_like_the_flags_are_read_and_win() -> None:
    from agent.settings import Settings

    s = Settings.from_table({"captcha_from": "command", "codes_from": "command", "codes_command": ["sms", "--latest"]})
    assert (s.captcha_provider, s.otp_provider, s.otp_command) == ("command", "command", ("sms", "--latest"))
    both = Settings.from_table({"otp_provider": "prompt", "codes_from": "sandbox"})
    assert both.otp_provider == "sandbox"
