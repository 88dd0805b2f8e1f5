"""The go-live workflow and doctor's go-live checks in-process, against the sandbox shop and mock Daraja on loopback
(memory vault): the checks catch the field failure of issue 16 (a plugin still holding 174379 while the profile says
600000 is not "all good"), go-live's order of checks, and what it leaves behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from agent.context import Context
from agent.golive.daraja import DarajaAuthError, DarajaWrongEnvironmentError
from agent.golive.rules import GoLiveInconsistencyError
from agent.sandbox import daraja as mock
from agent.sandbox.daraja.server import RunningDaraja, start_daraja
from agent.sandbox.runner import SANDBOX_SHOP_USER, RunningShop, start_shop
from agent.secret import Secret
from agent.settings import Paths
from agent.vault import CredentialRef, open_vault
from agent.workflows import sites
from agent.workflows.golive import DarajaKeys, daraja_refs, go_live, golive_checks

pytestmark = pytest.mark.unit

API, API_PASSWORD = "duka_api", "ApiStart#2030"
KEYS = DarajaKeys(Secret(mock.CONSUMER_KEY), Secret(mock.CONSUMER_SECRET), Secret(mock.PASSKEY))


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[RunningShop, RunningDaraja]]:
    daraja = start_daraja(
        verify_initiator=lambda code, user, password, command: 0 if password == API_PASSWORD else 2001
    )
    shop = start_shop(mode="test", daraja_url=daraja.url)
    try:
        yield shop, daraja
    finally:
        shop.stop()
        daraja.stop()


@pytest.fixture
def ctx(tmp_path: Path, servers: tuple[RunningShop, RunningDaraja]) -> Context:
    shop, daraja = servers
    requests.post(f"{shop.url}/__sim/reset", json={}, timeout=10).raise_for_status()
    requests.post(f"{daraja.url}/__sim/reset", json={}, timeout=10).raise_for_status()
    context = Context.build(paths=Paths.under(tmp_path).ensure(), vault=open_vault("memory"))
    context.config.set_default_profile("600000")
    context.config.set_profile(
        "600000", {"short_code": "600000", "api_operator": {"username": API}, "daraja_url": daraja.url}
    )
    context.config.save()
    context.vault.set_current(CredentialRef("600000", "api-operator", API), Secret(API_PASSWORD))
    app = requests.post(f"{shop.url}/__sim/app-password", json={"user": SANDBOX_SHOP_USER}, timeout=10).json()
    sites.link_site(context, shop.url, SANDBOX_SHOP_USER, Secret(app["password"]))
    sites.push(context, "600000")
    return context


def stored(shop: RunningShop) -> dict[str, object]:
    values: dict[str, object] = requests.get(f"{shop.url}/__sim/gateway/mpesa", timeout=10).json()["values"]
    return values


def test_a_plugin_still_holding_the_public_sandbox_values_is_not_all_good(ctx: Context) -> None:
    found = {f.id: f for f in golive_checks(ctx, None, None, offline=False, wait_seconds=5)}
    assert found["golive.oauth"].status == "problem"  # Osen's bundled public keys are not the mock's app
    assert found["golive.short-code"].status == "problem"
    assert "174379" in found["golive.short-code"].evidence
    assert "600000" in found["golive.short-code"].evidence
    assert found["golive.identifier-type"].status == "problem"  # never saved: Osen treats the shop as a Till
    assert found["golive.initiator"].status == "ok"
    assert found["golive.initiator-result"].status == "unknown"  # no token, no query


def test_go_live_then_every_check_is_ok_and_a_wrong_initiator_gets_2001(
    ctx: Context, servers: tuple[RunningShop, RunningDaraja]
) -> None:
    shop, _daraja = servers
    result = go_live(ctx, KEYS, environment="sandbox", payment_type="paybill")
    assert result.ok
    assert result.as_dict()["stored"][0] == "service mpesa-agent/600000, account daraja-consumer-key:sandbox"
    found = golive_checks(ctx, None, None, offline=False, wait_seconds=10)
    assert [(f.id, f.status) for f in found if f.status != "ok"] == []
    assert go_live(ctx, KEYS, environment="sandbox", payment_type="paybill").ok  # again: nothing new to keep
    for ref in daraja_refs("600000", "sandbox").values():
        assert (ctx.vault.get(ref, "pending"), ctx.vault.get(ref, "previous")) == (None, None)
    reply = requests.post(f"{shop.url}/__sim/transaction-status", json={"wait_seconds": 10}, timeout=30).json()
    assert reply["result"]["Result"]["ResultCode"] == 0

    requests.post(f"{shop.url}/__sim/gateway/mpesa", json={"values": {"password": "Wrong#2030"}}, timeout=10)
    initiator = {f.id: f for f in golive_checks(ctx, None, None, offline=False, wait_seconds=10)}
    assert initiator["golive.initiator-result"].status == "problem"
    assert initiator["golive.initiator-result"].evidence.startswith("Result 2001")
    reply = requests.post(f"{shop.url}/__sim/transaction-status", json={"wait_seconds": 10}, timeout=30).json()
    assert reply["result"]["Result"]["ResultCode"] == 2001


def test_the_consistency_rules_run_before_daraja_is_asked(
    ctx: Context, servers: tuple[RunningShop, RunningDaraja]
) -> None:
    shop, daraja = servers
    before = stored(shop)
    asked = requests.get(f"{daraja.url}/__sim/state", timeout=10).json()
    with pytest.raises(GoLiveInconsistencyError) as caught:
        go_live(ctx, KEYS, environment="sandbox", payment_type="till", short_code="5123456")
    assert caught.value.exit_status == 5
    assert "store number" in caught.value.message
    assert requests.get(f"{daraja.url}/__sim/state", timeout=10).json() == asked
    assert stored(shop) == before
    assert all(
        ctx.vault.get(ref, label) is None
        for ref in daraja_refs("600000", "sandbox").values()
        for label in ("current", "pending")
    )


def test_refused_keys_exit_4_and_keys_of_the_other_environment_are_named(ctx: Context) -> None:
    wrong = DarajaKeys(Secret(mock.CONSUMER_KEY), Secret("NotTheSecret2030"), Secret(mock.PASSKEY))
    with pytest.raises(DarajaAuthError) as caught:
        go_live(ctx, wrong, environment="sandbox", payment_type="paybill")
    assert caught.value.exit_status == 4
    assert not isinstance(caught.value, DarajaWrongEnvironmentError)  # only one environment is mocked: no probe


def test_till_go_live_writes_the_store_number_and_the_till_identifier(
    ctx: Context, servers: tuple[RunningShop, RunningDaraja]
) -> None:
    shop, _daraja = servers
    result = go_live(ctx, KEYS, environment="sandbox", payment_type="till", short_code="5123456", store_number="600000")
    assert result.ok
    values = stored(shop)
    assert (values["shortcode"], values["headoffice"], str(values["idtype"])) == ("5123456", "600000", "2")
    found = {f.id: f.status for f in golive_checks(ctx, None, None, offline=True)}
    assert found["golive.till-store-number"] == found["golive.short-code"] == "ok"
    assert found["golive.oauth"] == "unknown"


def test_on_real_daraja_the_initiator_is_unknown_with_the_reason_never_ok(
    ctx: Context, servers: tuple[RunningShop, RunningDaraja]
) -> None:
    import re

    import responses

    go_live(ctx, KEYS, environment="sandbox", payment_type="paybill")  # the mock's keys are now in the plugin
    profile = ctx.profile().as_table()
    profile.pop("daraja_url")
    ctx.config.set_profile("600000", profile)  # Safaricom's hosts from now on (answered by `responses`)
    with responses.RequestsMock() as mocked:
        mocked.add_passthru(re.compile(r"http://127\.0\.0\.1:\d+/"))
        mocked.get(
            "https://sandbox.safaricom.co.ke/oauth/v1/generate",
            json={"access_token": "RealLookingToken123", "expires_in": "3599"},
            status=200,
        )
        found = {f.id: f for f in golive_checks(ctx, None, None, offline=False)}
        assert [c.request.url.split("?")[0] for c in mocked.calls if "safaricom" in c.request.url] == [
            "https://sandbox.safaricom.co.ke/oauth/v1/generate"
        ]  # no query is sent to real Daraja
    assert found["golive.oauth"].status == "ok"
    initiator = found["golive.initiator-result"]
    assert initiator.status == "unknown"
    assert "asynchronous result" in initiator.evidence
    assert "2001" in initiator.fix
