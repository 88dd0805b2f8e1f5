"""wp_bridge.gateway: the push (GET, PUT, GET), typed values, dry-run, mangling refusal, read-back, snapshots."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from responses import matchers

from tests.wordpress import shapes
from wp_bridge import errors, gateway
from wp_bridge.client import Credentials, WPClient

pytestmark = pytest.mark.unit

UA = "mpesa-agent/9.9.9"
APP_PASSWORD = "AbCdEfGhIjKlMnOpQrStUvWx"
OPERATOR_PASSWORD = "Kx7#mQ2$vL9%"
VALUES = {"initiator_username": "mamaapi", "initiator_password": OPERATOR_PASSWORD}


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def client() -> WPClient:
    return WPClient(shapes.API, user_agent=UA, credentials=Credentials("shopadmin", APP_PASSWORD))


def readback(**values: Any) -> dict[str, Any]:
    enabled = values.pop("enabled", True)
    return {"id": "mpesa", "enabled": enabled, "settings": {k: {"value": v} for k, v in values.items()}}


def push(**kwargs: Any) -> gateway.PushResult:
    return gateway.push_settings(client(), kwargs.pop("values", VALUES), site_url=shapes.SITE, **kwargs)


def test_a_push_is_three_requests_with_only_the_changed_keys(rsps: Any) -> None:
    rsps.get(
        shapes.GATEWAY_URL,
        json=shapes.osen_gateway(),
        match=[matchers.query_param_matcher({"_fields": "id,title,enabled,method_title,settings"})],
    )
    rsps.put(
        shapes.GATEWAY_URL,
        json={"id": "mpesa"},
        match=[
            matchers.query_param_matcher({"_fields": "id"}),  # secrets stay out of the reply
            matchers.json_params_matcher({"settings": {"initiator": "mamaapi", "password": OPERATOR_PASSWORD}}),
        ],
    )
    rsps.get(
        shapes.GATEWAY_URL,
        json=readback(initiator="mamaapi", password=OPERATOR_PASSWORD),
        match=[
            matchers.query_param_matcher({"_fields": "id,enabled,settings.initiator.value,settings.password.value"})
        ],
    )
    result = push()
    assert [c.request.method for c in rsps.calls] == ["GET", "PUT", "GET"]
    assert result.requests == 3
    assert result.applied
    assert result.verified
    assert not result.method_override
    assert result.plan.plugin_id == "osen-wc-mpesa"
    assert [c.key for c in result.plan.changes] == ["initiator", "password"]
    shown = json.dumps(result.to_dict())
    assert OPERATOR_PASSWORD not in shown
    assert OPERATOR_PASSWORD not in repr(result)
    assert result.snapshot.values["initiator"] == "test"
    assert result.snapshot.changed_keys == ("initiator", "password")


def test_nothing_to_change_is_one_request(rsps: Any) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway(initiator="mamaapi", password=OPERATOR_PASSWORD))
    result = push()
    assert result.plan.nothing_to_do
    assert not result.applied
    assert result.verified
    assert len(rsps.calls) == 1


def test_dry_run_reads_only_and_redacts_secrets(rsps: Any) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway(password="OldPass1"))
    result = push(dry_run=True)
    assert len(rsps.calls) == 1
    assert result.dry_run
    assert not result.applied
    changes = {c["key"]: c for c in result.to_dict()["changes"]}
    assert changes["initiator"]["before"] == "test"
    assert changes["initiator"]["after"] == "mamaapi"
    assert changes["password"]["before"] == "********"
    assert changes["password"]["after"] == "********"
    assert "OldPass1" not in json.dumps(result.to_dict())


@pytest.mark.parametrize("bad", ["P@ss&word1", "a<b1", "a>b1", "x\\y1", " pad1 ", "<script>x</script>y1"])
def test_values_the_rest_path_would_mangle_are_refused_before_any_request(rsps: Any, bad: str) -> None:
    with pytest.raises(errors.UnsafeValueError) as caught:
        push(values={"initiator_username": "mamaapi", "initiator_password": bad})
    assert len(rsps.calls) == 0
    assert bad.strip() not in caught.value.message or len(bad.strip()) <= 2
    assert "wp option patch" in (caught.value.hint or "")


@pytest.mark.parametrize("fine", ['Q"uote1', "it's1", "100%1", "#!$^*()=+-_.,;:?/{}[]|~`1", "Kx7#mQ2$vL9%"])
def test_values_that_survive_are_accepted(rsps: Any, fine: str) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway())
    result = push(values={"initiator_password": fine}, dry_run=True)
    assert result.plan.changes[0].after == fine


def test_types_checkbox_strings_select_keys_enabled_boolean(rsps: Any) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway(enable_reversal=True))  # the JSON-true quirk, stored
    expected_body = {
        "settings": {"enable_reversal": "yes", "idtype": 4, "env": "live", "statuses": ["wc-refunded"]},
        "enabled": False,
    }
    rsps.put(shapes.GATEWAY_URL, json={"id": "mpesa"}, match=[matchers.json_params_matcher(expected_body)])
    rsps.get(
        shapes.GATEWAY_URL,
        json=readback(enabled=False, enable_reversal="yes", idtype=4, env="live", statuses=["wc-refunded"]),
    )
    result = push(
        values={
            "enable_reversal": True,
            "identifier_type": "paybill",
            "environment": "production",
            "reversal_statuses": ["wc-refunded"],
        },
        enabled=False,
    )
    assert result.verified
    assert result.plan.enabled_after is False


def test_a_stored_json_true_checkbox_fails_the_read_back(rsps: Any) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway())
    rsps.put(shapes.GATEWAY_URL, json={"id": "mpesa"})
    rsps.get(shapes.GATEWAY_URL, json=readback(enable_reversal=True))
    with pytest.raises(errors.ReadBackMismatchError) as caught:
        push(values={"enable_reversal": True})
    assert caught.value.keys == ["enable_reversal"]


def test_select_values_are_checked_against_the_sites_options(rsps: Any) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway())
    with pytest.raises(errors.ValueRejectedError) as caught:
        push(values={"environment": "staging"})
    assert "sandbox, live" in caught.value.message
    assert len(rsps.calls) == 1


def test_read_back_mismatch_is_a_verify_error_without_values(rsps: Any) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway())
    rsps.put(shapes.GATEWAY_URL, json={"id": "mpesa"})
    rsps.get(shapes.GATEWAY_URL, json=readback(initiator="mamaapi", password=OPERATOR_PASSWORD + "x"))
    with pytest.raises(errors.ReadBackMismatchError) as caught:
        push()
    exc = caught.value
    assert exc.kind == "verify"
    assert exc.keys == ["password"]
    assert OPERATOR_PASSWORD not in exc.message + (exc.hint or "")


def test_a_missing_key_in_the_read_back_is_a_mismatch(rsps: Any) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway())
    rsps.put(shapes.GATEWAY_URL, json={"id": "mpesa"})
    rsps.get(shapes.GATEWAY_URL, json=readback(initiator="mamaapi"))
    with pytest.raises(errors.ReadBackMismatchError) as caught:
        push()
    assert caught.value.keys == ["password"]


def test_put_blocked_by_a_waf_uses_method_override_four_requests(rsps: Any) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway())
    rsps.put(shapes.GATEWAY_URL, status=501, body="<html>Method Not Implemented</html>", content_type="text/html")
    rsps.post(
        shapes.GATEWAY_URL, json={"id": "mpesa"}, match=[matchers.header_matcher({"X-HTTP-Method-Override": "PUT"})]
    )
    rsps.get(shapes.GATEWAY_URL, json=readback(initiator="mamaapi", password=OPERATOR_PASSWORD))
    result = push()
    assert result.method_override
    assert result.requests == 4


def test_before_write_gets_the_snapshot_and_can_stop_the_write(rsps: Any) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway(password="OldPass1"))
    seen: list[gateway.GatewaySnapshot] = []

    def refuse(snapshot: gateway.GatewaySnapshot) -> None:
        seen.append(snapshot)
        raise RuntimeError("vault is locked")

    with pytest.raises(RuntimeError):
        push(before_write=refuse)
    assert len(rsps.calls) == 1  # no PUT
    assert seen[0].values["password"] == "OldPass1"
    assert "OldPass1" not in repr(seen[0])


@pytest.mark.parametrize(
    ("keys", "gateway_id", "plugin"),
    [(shapes.DAVISONPRO_KEYS, "mpesa", "Davisonpro"), (shapes.DEMKITECH_KEYS, "mpesa", "Demkitech")],
)
def test_unsupported_plugins_are_never_written(rsps: Any, keys: list[str], gateway_id: str, plugin: str) -> None:
    rsps.get(shapes.GATEWAY_URL, json=shapes.gateway_with_keys(gateway_id, keys))
    with pytest.raises(errors.UnsupportedPluginError) as caught:
        push()
    assert plugin in caught.value.message
    assert [c.request.method for c in rsps.calls] == ["GET"]


def test_missing_gateway_names_other_mpesa_plugins(rsps: Any) -> None:
    status, body = shapes.ERRORS["woocommerce_rest_payment_gateway_invalid"]
    rsps.get(shapes.GATEWAY_URL, json=body, status=status)
    rsps.get(shapes.API + "wc/v3/payment_gateways", json=[{"id": "bacs"}, {"id": "tk_mpesa"}])
    with pytest.raises(errors.UnsupportedPluginError) as caught:
        push()
    assert "TK MPesa" in caught.value.message


def test_missing_gateway_without_other_plugins(rsps: Any) -> None:
    status, body = shapes.ERRORS["woocommerce_rest_payment_gateway_invalid"]
    rsps.get(shapes.GATEWAY_URL, json=body, status=status)
    rsps.get(shapes.API + "wc/v3/payment_gateways", json=[{"id": "bacs"}, {"id": "cod"}])
    with pytest.raises(errors.GatewayPluginMissingError) as caught:
        push()
    assert "osen-wc-mpesa" in (caught.value.hint or "")


def test_snapshot_json_round_trip_and_damage() -> None:
    snap = gateway.GatewaySnapshot(
        shapes.SITE,
        "mpesa",
        "osen-wc-mpesa",
        "abc",
        "2026-01-01T00:00:00+00:00",
        True,
        {"password": "x1"},
        ("password",),
    )
    assert gateway.GatewaySnapshot.from_json(snap.to_json()) == snap
    assert "x1" not in repr(snap)
    with pytest.raises(errors.WPBridgeError):
        gateway.GatewaySnapshot.from_json("{not json")


def test_restore_puts_back_the_changed_keys(rsps: Any) -> None:
    snap = gateway.GatewaySnapshot(
        shapes.SITE,
        "mpesa",
        "osen-wc-mpesa",
        "abc",
        "2026-01-01T00:00:00+00:00",
        True,
        {"initiator": "test", "password": "", "secret": "untouched"},
        ("initiator", "password"),
    )
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway(initiator="mamaapi", password=OPERATOR_PASSWORD))
    rsps.put(
        shapes.GATEWAY_URL,
        json={"id": "mpesa"},
        match=[matchers.json_params_matcher({"settings": {"initiator": "test", "password": ""}})],
    )
    rsps.get(shapes.GATEWAY_URL, json=readback(initiator="test", password=""))
    result = gateway.restore_snapshot(client(), snap)
    assert result.verified
    assert result.requests == 3


@pytest.mark.parametrize(
    ("stored", "meant", "same"),
    [
        (4, "4", True),
        ("4", 4, True),
        ("", "0", False),
        (["a"], ["a"], True),
        (True, "yes", False),
        ("abc", "abd", False),
    ],
)
def test_same_value(stored: Any, meant: Any, same: bool) -> None:
    assert gateway.same_value(stored, meant) is same


def test_expected_readback_follows_php_empty() -> None:
    assert gateway.expected_readback("text", "0") == ""
    assert gateway.expected_readback("multiselect", []) == ""
    assert gateway.expected_readback("select", 4) == 4
