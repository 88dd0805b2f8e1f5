"""wp_bridge.plugins: the adapters in wp_bridge/plugins.toml and plugin identification by settings fingerprint."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.wordpress import shapes
from wp_bridge import errors
from wp_bridge.plugins import identify, load_adapters, parse_adapters, require_supported, settings_fingerprint

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
TABLE = tomllib.loads((ROOT / "wp_bridge" / "plugins.toml").read_text())


def test_shipped_table_loads_through_the_data_package() -> None:
    adapters = load_adapters()
    assert adapters == parse_adapters(TABLE)  # the installed config is this checkout's file
    osen = adapters[0]
    assert osen.id == "osen-wc-mpesa"
    assert osen.supported
    assert osen.field("initiator_username").key == "initiator"
    password = osen.field("initiator_password")
    assert (password.key, password.type, password.secret) == ("password", "password", True)
    assert osen.field("identifier_type").choices == {"paybill": 4, "till": 2}
    assert osen.password_encoding == "raw"


def test_osen_is_identified_by_its_fingerprint() -> None:
    keys = shapes.osen_gateway()["settings"].keys()
    assert require_supported("mpesa", keys).id == "osen-wc-mpesa"
    assert identify("tk_mpesa", keys) is None  # the id must match too


@pytest.mark.parametrize(
    ("gateway_id", "keys", "plugin_id", "reason_word"),
    [
        ("mpesa", shapes.DAVISONPRO_KEYS, "davisonpro-mpesa", "no setting"),
        ("mpesa", shapes.DEMKITECH_KEYS, "demkitech-mpesa", "no initiator"),
        ("mpesa", shapes.CLONE_KEYS, "mpesa-clone-no-initiator", "no initiator"),
        ("mpesa", shapes.JOSEPH_AKARO_KEYS, "joseph-akaro-mpesa", "no initiator"),
        ("mpesa", shapes.VODACOM_KEYS, "vodacom-mpesa", "Vodacom"),
        ("tk_mpesa", shapes.TK_KEYS, "tk-mpesa", "no initiator"),
    ],
)
def test_known_unsupported_plugins_are_refused_by_name(
    gateway_id: str, keys: list[str], plugin_id: str, reason_word: str
) -> None:
    adapter = identify(gateway_id, keys)
    assert adapter is not None
    assert adapter.id == plugin_id
    with pytest.raises(errors.UnsupportedPluginError) as caught:
        require_supported(gateway_id, keys, site="https://shop.example")
    exc = caught.value
    assert adapter.name in exc.message
    assert reason_word in exc.reason
    assert "Nothing was written" in exc.message
    assert "Osen" in (exc.hint or "")


def test_an_unknown_schema_is_refused_and_its_keys_named() -> None:
    with pytest.raises(errors.UnsupportedPluginError) as caught:
        require_supported("mpesa", ["api_user", "api_token_x", "till"])
    assert caught.value.plugin == "unknown"
    assert "api_user" in caught.value.message


def test_osen_with_its_initiator_removed_is_not_osen() -> None:
    keys = set(shapes.osen_gateway()["settings"]) - {"initiator"}
    adapter = identify("mpesa", keys)
    assert adapter is None or not adapter.supported


def test_fingerprint_is_order_independent_and_schema_sensitive() -> None:
    keys = list(shapes.osen_gateway()["settings"])
    assert settings_fingerprint(keys) == settings_fingerprint(reversed(keys))
    assert settings_fingerprint(keys) != settings_fingerprint([*keys, "new_key"])
    assert len(settings_fingerprint(keys)) == 16


def _broken(mutate: Any) -> dict[str, Any]:
    table = copy.deepcopy(TABLE)
    mutate(table)
    return table


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.update(schema_version=2), "schema_version"),
        (lambda t: t["plugin"][0]["fields"].pop("initiator_password"), "lacks"),
        (lambda t: t["plugin"][0]["fields"]["debug"].update(type="toggle"), "unknown type"),
        (lambda t: t["plugin"][0]["fields"]["debug"].update(choices={"a": 1}), "choices"),
        (lambda t: t["plugin"][1].pop("reason"), "reason"),
        (lambda t: t["plugin"][0]["fingerprint"].update(all=[]), "fingerprint"),
        (lambda t: t["plugin"][0].update(password_encoding="security-credential"), "password_encoding"),
    ],
)
def test_a_broken_table_is_rejected(mutate: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_adapters(_broken(mutate))
