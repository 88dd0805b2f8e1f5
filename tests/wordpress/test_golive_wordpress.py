"""go-live's push on real WordPress (with the must-use stand-in registering Osen's keys): every go-live setting and
the initiator in one verified GET-PUT-GET, stored exactly, and one rollback puts all of them back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.context import Context
from agent.golive.rules import GoLiveInconsistencyError
from agent.sandbox import daraja as mock
from agent.sandbox.daraja.server import RunningDaraja, start_daraja
from agent.secret import Secret
from agent.vault import CredentialRef, open_vault
from agent.workflows import sites
from agent.workflows.golive import DarajaKeys, daraja_refs, go_live
from tests.harness.wordpress import ADMIN_USER, WordPressSite

pytestmark = pytest.mark.wordpress

OPERATOR = "mamaapi"
OPERATOR_PASSWORD = "Kx7#mQ2$vL9%"
KEYS = DarajaKeys(Secret(mock.CONSUMER_KEY), Secret(mock.CONSUMER_SECRET), Secret(mock.PASSKEY))


@pytest.fixture(scope="module")
def daraja() -> Iterator[RunningDaraja]:
    with start_daraja() as running:
        yield running


@pytest.fixture
def ctx(wordpress: WordPressSite, admin_password: str, daraja: RunningDaraja) -> Context:
    context = Context.build(vault=open_vault("memory"))
    context.config.set_default_profile("600000")
    context.config.set_profile(
        "600000", {"short_code": "600000", "api_operator": {"username": OPERATOR}, "daraja_url": daraja.url}
    )
    context.config.save()
    context.vault.set_current(CredentialRef("600000", "api-operator", OPERATOR), Secret(OPERATOR_PASSWORD))
    sites.link_site(context, wordpress.url, ADMIN_USER, admin_password)
    return context


def test_go_live_pushes_every_setting_with_the_initiator_in_one_verified_write(
    wordpress: WordPressSite, ctx: Context
) -> None:
    result = go_live(ctx, KEYS, environment="sandbox", payment_type="paybill")
    assert result.ok
    push = result.push
    assert push is not None
    assert (push["applied"], push["verified"], push["requests"]) == (True, True, 3)  # GET, PUT, GET
    stored = wordpress.get_option("woocommerce_mpesa_settings")
    assert stored["key"] == mock.CONSUMER_KEY
    assert stored["secret"] == mock.CONSUMER_SECRET
    assert stored["passkey"] == mock.PASSKEY
    assert stored["env"] == "sandbox"
    assert int(stored["idtype"]) == 4
    assert str(stored["shortcode"]) == str(stored["headoffice"]) == "600000"
    assert (stored["initiator"], stored["password"]) == (OPERATOR, OPERATOR_PASSWORD)
    for field, ref in daraja_refs("600000", "sandbox").items():
        assert ctx.vault.require(ref).reveal() == getattr(KEYS, field).reveal()

    again = go_live(ctx, KEYS, environment="sandbox", payment_type="paybill")
    assert again.push is not None
    assert (again.push["applied"], again.push["requests"]) == (False, 1)  # nothing to change: one GET

    sites.rollback_push(ctx, wordpress.url)
    restored = wordpress.get_option("woocommerce_mpesa_settings")
    assert restored["key"] == "9v38Dtu5u2BpsITPmLcXNWGMsjZRWSTG"  # the stand-in's (Osen's) default
    assert restored["passkey"].startswith("bfb279f9")
    assert restored["initiator"] == "test"


def test_till_go_live_puts_the_store_number_where_it_belongs(wordpress: WordPressSite, ctx: Context) -> None:
    result = go_live(ctx, KEYS, environment="sandbox", payment_type="till", short_code="5123456", store_number="600000")
    assert result.ok
    stored = wordpress.get_option("woocommerce_mpesa_settings")
    assert int(stored["idtype"]) == 2
    assert (str(stored["shortcode"]), str(stored["headoffice"])) == ("5123456", "600000")


def test_an_inconsistent_go_live_writes_nothing_to_wordpress(wordpress: WordPressSite, ctx: Context) -> None:
    go_live(ctx, KEYS, environment="sandbox", payment_type="paybill")  # a saved option to compare with
    before = wordpress.get_option("woocommerce_mpesa_settings")
    with pytest.raises(GoLiveInconsistencyError):
        go_live(ctx, KEYS, environment="sandbox", payment_type="till", short_code="600000", store_number="600000")
    assert wordpress.get_option("woocommerce_mpesa_settings") == before
    assert all(ctx.vault.get(ref, "pending") is None for ref in daraja_refs("600000", "sandbox").values())
