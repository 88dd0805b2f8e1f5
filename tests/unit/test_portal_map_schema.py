"""The page map's schema is checked at load, the shipped file and a user's override alike: a bad key, an element
without exactly one way to find it, a wrong type, or a capability without the elements it needs is a ConfigError
(exit 2) that names the file and the key; the generations' differences are one typed capability record each."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import resources, settings
from agent.errors import ConfigError, ExitStatus
from agent.portal.pagemap import SHIPPED, Capabilities, PageMap, check_schema

pytestmark = pytest.mark.unit


def _override(text: str) -> Path:
    config_dir = settings.paths().config_dir
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "portal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _refused(text: str) -> ConfigError:
    path = _override(text)
    with pytest.raises(ConfigError) as info:
        PageMap.load("classic")
    assert str(path) in info.value.message, info.value.message
    assert info.value.exit_status == ExitStatus.USAGE == 2
    return info.value


def test_the_shipped_map_passes_and_declares_one_record_per_generation(agent_home: Path) -> None:
    check_schema(resources.load_toml("portal.toml"), SHIPPED, complete=True)
    classic, current = PageMap.load("classic").capabilities, PageMap.load("current").capabilities
    assert isinstance(classic, Capabilities)
    assert (classic.work_area, classic.menus, classic.otp) == ("iframe", "tabs", "field")
    assert (current.work_area, current.menus, current.otp) == ("page", "sidebar", "boxes")
    assert classic.acknowledge_success
    assert not current.acknowledge_success
    assert current.login_form_check
    assert not classic.login_form_check


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[classic.loginn]\nuser_name = { label = 'User' }\n", "classic.loginn", "is not a screen"),
        ("[classic.login]\nuser_nme = { label = 'User' }\n", "classic.login.user_nme", "is not an element"),
        ("[classic.login]\nuser_name = { label = 'User', css = '#u' }\n", "classic.login.user_name", "exactly one"),
        ("[classic.login]\nuser_name = { why = 'no way' }\n", "classic.login.user_name", "exactly one"),
        ("[classic.login]\nuser_name = { label = 3 }\n", "classic.login.user_name.label", "must be a str"),
        ("[classic.login]\nuser_name = { label = 'U', exact = true }\n", "classic.login.user_name.exact", "attribute"),
        ("[classic.login]\nuser_name = 'User Name'\n", "classic.login.user_name", "element table"),
        ("[classic.login.texts]\nlockd = 'x'\n", "classic.login.texts.lockd", "is not known"),
        ("[classic.login.texts]\nlocked = 1\n", "classic.login.texts.locked", "must be a string"),
        ("[classic.capabilities]\nreloads = 'yes'\n", "classic.capabilities.reloads", "true or false"),
        ("[classic.capabilities]\nmenus = 'ribbon'\n", "classic.capabilities.menus", "must be one of"),
        ("[classic.capabilities]\nteleports = true\n", "classic.capabilities.teleports", "is not a capability"),
        ("[classic]\nreloads = true\n", "classic.reloads", "[classic.capabilities]"),
        ("[classic.create]\nconfirm = { role = 'button', within = 'no' }\n", "classic.create.confirm.within", "'no'"),
        ("[vintage.login]\nuser_name = { label = 'U' }\n", "vintage", "is not a portal generation"),
    ],
)
def test_a_bad_override_is_a_clear_config_error(agent_home: Path, text: str, key: str, problem: str) -> None:
    error = _refused(text)
    assert key in error.message, error.message
    assert problem in error.message, error.message


def test_a_capability_without_its_elements_is_refused(agent_home: Path) -> None:
    # The classic map has no sidebar: a sidebar portal without one cannot be driven.
    error = _refused('[classic.capabilities]\nmenus = "sidebar"\n')
    assert "classic.sidebar.organization_operator is missing" in error.message


def test_a_good_override_still_merges(agent_home: Path) -> None:
    _override('[classic.capabilities]\nconfirmations = false\n[classic.operators.columns]\nrole = "Roles"\n')
    pagemap = PageMap.load("classic")
    assert pagemap.capabilities.confirmations is False
    assert pagemap.capabilities.reloads is True  # the rest of the record is the shipped one
    # A table of strings merges key by key, even where one of its keys looks like a locator ("role").
    assert pagemap.value("operators", "columns") == {
        "user_name": "User Name",
        "role": "Roles",
        "status": "Status",
        "suspended": "Suspended",
        "operator_id": "Operator ID",
    }


def test_the_shipped_map_is_checked_too() -> None:
    data = resources.load_toml("portal.toml")
    broken = {**data, "classic": {**data["classic"], "capabilities": {**data["classic"]["capabilities"]}}}
    del broken["classic"]["capabilities"]["otp"]
    with pytest.raises(ConfigError, match=r"the shipped config/portal.toml: classic.capabilities.otp is missing"):
        check_schema(broken, SHIPPED, complete=True)
