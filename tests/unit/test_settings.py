"""User configuration: the example ships with the package and loads; bad files give clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from agent import resources, settings
from agent.errors import ConfigError, ConflictError
from agent.workflows.config import init_config

pytestmark = pytest.mark.unit


def test_example_config_loads_and_is_consistent(agent_home: Path) -> None:
    path = init_config()
    assert path.is_relative_to(agent_home)
    cfg = settings.load_config()
    assert cfg.default_profile_name() == "600000"
    assert cfg.profile(None)["short_code"] == "600000"
    assert set(cfg.settings) == set(settings.DEFAULT_SETTINGS)
    with pytest.raises(ConflictError):
        init_config()


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
        ("[settings]\ntimeout_ms = 'fast'\n", "must be a int"),
        ("[profiles.600000]\nadmin_password = 'x'\n", "looks like a secret"),
    ],
)
def test_bad_config_files(agent_home: Path, text: str, needle: str) -> None:
    path = settings.paths().ensure().config_file
    path.write_text(text)
    with pytest.raises(ConfigError, match=needle):
        settings.load_config()


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
