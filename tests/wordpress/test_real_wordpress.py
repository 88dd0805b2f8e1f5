"""wp_bridge and the site workflows against real WordPress core (Debian 6.1.9 on MariaDB behind php -S), with our
must-use plugin standing in for WooCommerce + Osen (WordPress's real wp_kses_post, capabilities and options)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
import requests

from agent import settings
from agent.context import Context
from agent.errors import AuthError, SiteError
from agent.secret import Secret
from agent.vault import CredentialRef, Vault, open_vault
from agent.workflows import sites
from tests.harness.wordpress import ADMIN_USER, EDITOR_USER, MANAGER_USER, WordPressSite
from tests.wordpress.conftest import Double
from wp_bridge import app_passwords, errors, gateway, kses
from wp_bridge.client import Credentials, WPClient, discover

pytestmark = pytest.mark.wordpress

UA = "mpesa-agent/tests"
OPERATOR = "mamaapi"
OPERATOR_PASSWORD = "Kx7#mQ2$vL9%"


@pytest.fixture
def vault() -> Vault:
    return open_vault("memory")


@pytest.fixture
def ctx(vault: Vault) -> Context:
    return Context.build(vault=vault)


@pytest.fixture
def profile(ctx: Context, vault: Vault) -> str:
    ctx.config.set_default_profile("600000")
    ctx.config.set_profile("600000", {"short_code": "600000", "api_operator": {"username": OPERATOR}})
    ctx.config.save()
    vault.set_current(CredentialRef("600000", "api-operator", OPERATOR), Secret(OPERATOR_PASSWORD))
    return "600000"


def client_for(url: str, login: str, password: str) -> WPClient:
    return WPClient(discover(url, user_agent=UA).api_root, user_agent=UA, credentials=Credentials(login, password))


def test_smoke_authenticated_rest_call(wordpress: WordPressSite) -> None:
    admin = wordpress.users[ADMIN_USER]
    reply = requests.get(
        wordpress.url + "/wp-json/wp/v2/users/me",
        params={"context": "edit"},
        auth=(admin.login, admin.app_password),
        timeout=10,
    )
    assert reply.status_code == 200
    assert reply.json()["roles"] == ["administrator"]
    assert reply.json()["capabilities"]["manage_woocommerce"] is True
    assert requests.get(wordpress.url + "/wp-json/wp/v2/users/me", timeout=10).json()["code"] == "rest_not_logged_in"


def test_discovery_on_real_wordpress(wordpress: WordPressSite) -> None:
    info = discover(wordpress.url, user_agent=UA)
    assert info.api_root.url == wordpress.url + "/wp-json/"
    assert info.woocommerce
    assert info.app_passwords_available
    assert info.authorization_url == wordpress.url + "/wp-admin/authorize-application.php"
    assert info.name == "Mama Mboga Online (test)"


def test_link_site_non_interactively(ctx: Context, wordpress: WordPressSite, vault: Vault, admin_password: str) -> None:
    result = sites.link_site(ctx, wordpress.url, ADMIN_USER, Secret(admin_password))
    assert result.link.plugin == "osen-wc-mpesa"
    assert result.user["roles"] == ["administrator"]
    assert result.link.app_uuid in [p["uuid"] for p in wordpress.app_passwords(ADMIN_USER)]
    assert vault.require(sites.app_password_ref(wordpress.url)).reveal() == admin_password
    assert settings.load_config().sites[wordpress.url]["url_style"] == "pretty"
    assert admin_password not in settings.paths().config_file.read_text()


def test_a_shop_manager_may_link(ctx: Context, wordpress: WordPressSite, vault: Vault) -> None:
    password = wordpress.create_app_password(MANAGER_USER, "manager")["password"]
    result = sites.link_site(ctx, wordpress.url, MANAGER_USER, password)
    assert result.user["roles"] == ["shop_manager"]


@pytest.mark.browser
def test_authorize_application_in_chromium_then_link(
    ctx: Context, wordpress: WordPressSite, vault: Vault, page: Any
) -> None:
    admin = wordpress.users[ADMIN_USER]
    prep = sites.prepare_link(ctx, wordpress.url)
    assert prep.authorize_url is not None
    page.set_default_timeout(30_000)
    page.goto(wordpress.url + "/wp-login.php")
    page.fill("#user_login", admin.login)
    page.fill("#user_pass", admin.password)
    page.click("#wp-submit")
    page.wait_for_url("**/wp-admin/**")
    page.goto(prep.authorize_url)
    assert page.input_value("#app_name").startswith("mpesa-agent (")
    assert "manually enter" in page.inner_text("#description-approve")
    page.click("#approve")
    field = page.locator("#new-application-password-value")
    field.wait_for(state="visible")
    chunked = field.input_value()
    assert len(chunked.replace(" ", "")) == 24
    result = sites.link_site(ctx, wordpress.url, admin.login, Secret(chunked))
    created = [p for p in wordpress.app_passwords(ADMIN_USER) if p["uuid"] == result.link.app_uuid]
    assert created
    assert created[0]["app_id"] == result.link.app_id  # the fixed UUIDv5 of the site went through the page
    assert created[0]["name"].startswith("mpesa-agent (")


def test_push_and_read_back_workflow(
    ctx: Context, wordpress: WordPressSite, vault: Vault, profile: str, admin_password: str
) -> None:
    sites.link_site(ctx, wordpress.url, ADMIN_USER, admin_password)
    report = sites.push(ctx, profile)
    outcome = report.sites[0].result
    assert outcome is not None
    assert (outcome["applied"], outcome["verified"], outcome["requests"]) == (True, True, 3)
    stored = wordpress.get_option("woocommerce_mpesa_settings")
    assert (stored["initiator"], stored["password"]) == (OPERATOR, OPERATOR_PASSWORD)
    assert stored["env"] == "sandbox"  # defaults materialised by the first save, untouched otherwise
    snapshot = json.loads(vault.require(sites.snapshot_ref(wordpress.url)).reveal())
    assert snapshot["values"]["initiator"] == "test"
    again = sites.push(ctx, profile).sites[0].result
    assert again is not None
    assert (again["applied"], again["requests"]) == (False, 1)
    sites.rollback_push(ctx, wordpress.url)
    assert wordpress.get_option("woocommerce_mpesa_settings")["initiator"] == "test"


def test_push_typed_values_on_real_wordpress(wordpress: WordPressSite, admin_password: str) -> None:
    client = client_for(wordpress.url, ADMIN_USER, admin_password)
    values = {"enable_reversal": True, "identifier_type": "till", "reversal_statuses": ["wc-refunded", "wc-cancelled"]}
    result = gateway.push_settings(client, values, site_url=wordpress.url, enabled=False)
    assert result.verified
    stored = wordpress.get_option("woocommerce_mpesa_settings")
    assert stored["enable_reversal"] == "yes"  # a string, not JSON true
    assert stored["idtype"] == 2
    assert stored["statuses"] == ["wc-refunded", "wc-cancelled"]
    assert stored["enabled"] == "no"


def test_refusal_of_mangling_values(
    ctx: Context, wordpress: WordPressSite, vault: Vault, profile: str, admin_password: str
) -> None:
    sites.link_site(ctx, wordpress.url, ADMIN_USER, admin_password)
    vault.set_current(CredentialRef(profile, "api-operator", OPERATOR), Secret("Safe&Sound1"))
    with pytest.raises(SiteError) as caught:
        sites.push(ctx, profile)
    assert isinstance(caught.value.__cause__, errors.UnsafeValueError)
    assert "&amp;" in caught.value.message
    assert wordpress.get_option("woocommerce_mpesa_settings") is None  # nothing was written


@pytest.mark.parametrize(
    "sent",
    ["P@ss&word1", "a<b1", "a>b1", "x\\y1", " pad1 ", "<script>x</script>y1", "Sa&fe<b>X\\y>z1", "AT&T &amp; &copy;"],
)
def test_the_kses_model_matches_real_wordpress(wordpress: WordPressSite, admin_password: str, sent: str) -> None:
    """What wp_bridge refuses is exactly what the real wp_kses_post changes."""
    reply = requests.put(
        wordpress.url + "/wp-json/wc/v3/payment_gateways/mpesa",
        params={"_fields": "settings.password.value"},
        json={"settings": {"password": sent}},
        auth=(ADMIN_USER, admin_password),
        timeout=10,
    )
    assert reply.status_code == 200
    stored = reply.json()["settings"]["password"]["value"]
    assert stored == kses.rest_text_roundtrip(sent)
    assert stored != sent
    assert kses.mangled_characters(sent)


def test_rotate_the_app_password(ctx: Context, wordpress: WordPressSite, vault: Vault, admin_password: str) -> None:
    linked = sites.link_site(ctx, wordpress.url, ADMIN_USER, admin_password)
    result = sites.rotate_site_credentials(ctx, wordpress.url)
    assert result.old_revoked
    uuids = [p["uuid"] for p in wordpress.app_passwords(ADMIN_USER)]
    assert result.new_uuid in uuids
    assert linked.link.app_uuid not in uuids
    new_password = vault.require(sites.app_password_ref(wordpress.url)).reveal()
    assert app_passwords.introspect(client_for(wordpress.url, ADMIN_USER, new_password)).uuid == result.new_uuid
    with pytest.raises(errors.AuthenticationError):
        app_passwords.verify(client_for(wordpress.url, ADMIN_USER, admin_password))
    assert [s.ok for s in sites.list_sites(ctx)] == [True]


def test_non_local_environment_over_http(
    ctx: Context, wordpress: WordPressSite, vault: Vault, admin_password: str
) -> None:
    production = wordpress.server(environment_type="production")
    info = discover(production, user_agent=UA)
    assert not info.app_passwords_available
    with pytest.raises(AuthError) as caught:
        sites.link_site(ctx, production, ADMIN_USER, admin_password)
    assert isinstance(caught.value.__cause__, errors.AppPasswordsUnavailableError)
    assert "HTTPS" in (caught.value.hint or "")
    # with credentials sent anyway: rest_not_logged_in, diagnosed by the credential-free index probe
    client = WPClient(info.api_root, user_agent=UA, credentials=Credentials(ADMIN_USER, admin_password))
    with pytest.raises(errors.AppPasswordsUnavailableError) as direct:
        app_passwords.verify(client)
    assert direct.value.code == "rest_not_logged_in"
    with pytest.raises(errors.AppPasswordsUnavailableError) as listing:
        app_passwords.list_all(client)
    assert listing.value.code == "application_passwords_disabled"
    assert vault.get(sites.app_password_ref(production)) is None


def test_plain_permalinks_use_rest_route(
    ctx: Context, wordpress: WordPressSite, vault: Vault, profile: str, admin_password: str
) -> None:
    plain = wordpress.server(plain_permalinks=True)
    linked = sites.link_site(ctx, plain, ADMIN_USER, admin_password)
    assert linked.link.url_style == "query"
    assert linked.link.api_root == plain + "/index.php?rest_route=/"
    outcome = sites.push(ctx, profile).sites[0].result
    assert outcome is not None
    assert outcome["verified"]
    assert wordpress.get_option("woocommerce_mpesa_settings")["password"] == OPERATOR_PASSWORD


def test_wrong_password_stores_nothing(ctx: Context, wordpress: WordPressSite, vault: Vault) -> None:
    with pytest.raises(AuthError) as translated:
        sites.link_site(ctx, wordpress.url, ADMIN_USER, "x" * 24)
    caught = translated.value.__cause__
    assert isinstance(caught, errors.AuthenticationError)
    # Debian's WordPress 6.1.9 answers rest_not_logged_in for a refused password (reference §4.3); the credential-free
    # probe sees application passwords enabled, so the error names both causes.
    assert caught.code in ("incorrect_password", "rest_not_logged_in")
    assert "password" in caught.message
    assert vault.get(sites.app_password_ref(wordpress.url)) is None
    assert settings.load_config().sites == {}


def test_login_password_is_not_an_app_password(ctx: Context, wordpress: WordPressSite, vault: Vault) -> None:
    admin = wordpress.users[ADMIN_USER]
    with pytest.raises(AuthError) as refused:
        sites.link_site(ctx, wordpress.url, ADMIN_USER, admin.password)
    assert isinstance(refused.value.__cause__, errors.AuthenticationError)


def test_user_without_the_capability(ctx: Context, wordpress: WordPressSite, vault: Vault) -> None:
    password = wordpress.users[EDITOR_USER].app_password
    with pytest.raises(AuthError) as caught:
        sites.link_site(ctx, wordpress.url, EDITOR_USER, password)
    assert isinstance(caught.value.__cause__, errors.MissingCapabilityError)
    assert "manage WooCommerce" in caught.value.message
    client = client_for(wordpress.url, EDITOR_USER, password)
    with pytest.raises(errors.MissingCapabilityError) as direct:
        gateway.read_gateway(client)
    assert (direct.value.status, direct.value.code) == (403, "woocommerce_rest_cannot_view")


def test_unsupported_or_missing_plugin(wordpress: WordPressSite, admin_password: str) -> None:
    client = client_for(wordpress.url, ADMIN_USER, admin_password)
    wordpress.update_option("mpesa_test_gateway_plugin", "davisonpro")
    with pytest.raises(errors.UnsupportedPluginError) as caught:
        gateway.push_settings(client, {"initiator_username": OPERATOR}, site_url=wordpress.url)
    assert "Davisonpro" in caught.value.message
    wordpress.update_option("mpesa_test_gateway_plugin", "none")
    with pytest.raises(errors.GatewayPluginMissingError):
        gateway.push_settings(client, {"initiator_username": OPERATOR}, site_url=wordpress.url)


def test_wordpress_core_honours_the_method_override(wordpress: WordPressSite, admin_password: str) -> None:
    """The PUT fallback (POST + X-HTTP-Method-Override) is understood by real WordPress core."""
    client = client_for(wordpress.url, ADMIN_USER, admin_password)
    client.call(
        "POST",
        "/wc/v3/payment_gateways/mpesa",
        body={"settings": {"initiator": "viaoverride"}},
        headers={"X-HTTP-Method-Override": "PUT"},
        params={"_fields": "id"},
    )
    assert wordpress.get_option("woocommerce_mpesa_settings")["initiator"] == "viaoverride"


# -- the two doubles agree ----------------------------------------------------------------------------------------


def test_push_and_read_back_on_each_double(double: Double) -> None:
    password = double.new_app_password(ADMIN_USER)
    client = client_for(double.url, ADMIN_USER, password)
    assert double.stored() is None
    values = {"initiator_username": OPERATOR, "initiator_password": OPERATOR_PASSWORD}
    result = gateway.push_settings(client, values, site_url=double.url)
    assert (result.applied, result.verified, result.requests) == (True, True, 3)
    stored = double.stored()
    assert stored is not None
    assert (stored["initiator"], stored["password"]) == (OPERATOR, OPERATOR_PASSWORD)


def _scenario(double: Double) -> dict[str, Any]:
    """The same requests against one double; what came back (minus hosts and random values)."""
    password = double.new_app_password(ADMIN_USER)
    auth = (ADMIN_USER, password)
    route = double.url + "/wp-json/wc/v3/payment_gateways/mpesa"
    out: dict[str, Any] = {}
    fresh = requests.get(route, auth=auth, timeout=10).json()
    out["fresh_keys"] = list(fresh["settings"])
    out["fresh_values"] = {k: v["value"] for k, v in fresh["settings"].items() if k != "signature"}
    out["fresh_types"] = {k: v["type"] for k, v in fresh["settings"].items()}
    out["fingerprint"] = gateway.GatewayState.from_json(fresh).fingerprint
    bodies = [
        {"settings": {"no_such_key": "x", "shortcode": 600000, "idtype": 2, "title": "X"}},
        {"settings": {"env": "bogus"}},
        {"settings": {"enable_reversal": "maybe"}},
        {"settings": {"enable_reversal": True}},
        {"settings": {"statuses": ["wc-refunded", "wc-bogus"]}},
        {"settings": {"statuses": "wc-refunded"}},
        {"enabled": "yes"},
        {"enabled": False},
        {"settings": "x"},
        {"settings": {"password": "P@ss&word1", "initiator": " pad1 "}},
    ]
    replies = []
    for body in bodies:
        reply = requests.put(route, json=body, auth=auth, timeout=10)
        data = reply.json()
        summary: dict[str, Any] = {"status": reply.status_code, "code": data.get("code")}
        if reply.status_code == 200:
            summary["title"] = data["title"]
            summary["enabled"] = data["enabled"]
            summary["values"] = {k: v["value"] for k, v in data["settings"].items() if k != "signature"}
        replies.append(summary)
    out["replies"] = replies
    out["trimmed"] = requests.get(route, params={"_fields": "id,settings.password.value"}, auth=auth, timeout=10).json()
    wrong = requests.get(route, auth=(ADMIN_USER, "x" * 24), timeout=10)
    out["wrong_on_wc"] = (wrong.status_code, wrong.json()["code"])
    clerk = requests.get(route, auth=(EDITOR_USER, double.new_app_password(EDITOR_USER)), timeout=10)
    out["clerk"] = (clerk.status_code, clerk.json()["code"])
    missing = requests.get(double.url + "/wp-json/wc/v3/payment_gateways/nope", auth=auth, timeout=10)
    out["missing"] = (missing.status_code, missing.json()["code"])
    return dict(json.loads(json.dumps(out).replace(double.url, "SITE")))


def test_the_two_doubles_agree(both: tuple[Double, Double]) -> None:
    real, sandbox = (_scenario(d) for d in both)
    for key in real:
        assert sandbox[key] == real[key], f"the sandbox shop and real WordPress differ on {key}"


def test_snapshot_values_survive_a_vault_round_trip(wordpress: WordPressSite, admin_password: str) -> None:
    client = client_for(wordpress.url, ADMIN_USER, admin_password)
    result = gateway.push_settings(client, {"initiator_username": secrets.token_hex(4)}, site_url=wordpress.url)
    vault = open_vault("memory")
    ref = sites.snapshot_ref(wordpress.url)
    vault.set_current(ref, Secret(result.snapshot.to_json()))
    restored = gateway.GatewaySnapshot.from_json(vault.require(ref).reveal())
    assert restored == result.snapshot
    assert gateway.restore_snapshot(client, restored).verified
    assert wordpress.get_option("woocommerce_mpesa_settings")["initiator"] == "test"
