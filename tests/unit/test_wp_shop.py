"""The sandbox shop reproduces the documented WordPress/WooCommerce behaviour (reference §10), checked through
Flask's test client, and wp_bridge works against it over a loopback socket."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from agent.sandbox.shop.app import create_app
from agent.sandbox.shop.state import ShopState
from tests.harness.wordpress import SandboxShopServer
from wp_bridge import app_passwords, errors, gateway
from wp_bridge.client import Credentials, WPClient, discover

pytestmark = pytest.mark.unit

UA = "mpesa-agent/9.9.9"
GW = "/wp-json/wc/v3/payment_gateways/mpesa"


@pytest.fixture
def state() -> ShopState:
    return ShopState.seeded(admin_password="admin-login-pw")


@pytest.fixture
def web(state: ShopState) -> FlaskClient:
    return create_app(state, mode="test").test_client()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def admin(state: ShopState) -> dict[str, str]:
    password, _item = state.create_app_password(state.users["shopadmin"], "tests")
    return basic("shopadmin", password)


@pytest.fixture
def clerk(state: ShopState) -> dict[str, str]:
    password, _item = state.create_app_password(state.users["clerk"], "tests")
    return basic("clerk", password)


def put(web: FlaskClient, headers: dict[str, str], body: Any, path: str = GW) -> Any:
    return web.put(path, json=body, headers=headers)


# -- discovery ------------------------------------------------------------------------------------------------------


def test_discovery_pretty_and_plain(web: FlaskClient, state: ShopState) -> None:
    head = web.head("/")
    assert head.headers["Link"] == '<http://localhost/wp-json/>; rel="https://api.w.org/"'
    index = web.get("/wp-json/").get_json()
    assert "wc/v3" in index["namespaces"]
    assert index["authentication"]["application-passwords"]["endpoints"]["authorization"].endswith(
        "/wp-admin/authorize-application.php"
    )
    state.permalinks = "plain"
    assert web.head("/").headers["Link"] == '<http://localhost/index.php?rest_route=/>; rel="https://api.w.org/"'
    assert web.get("/wp-json/").mimetype == "text/html"  # not routed any more
    assert web.get("/index.php?rest_route=/").get_json()["name"] == state.name
    assert web.get("/?rest_route=/wp/v2/users/me").status_code == 401


def test_index_authentication_is_empty_when_unavailable(web: FlaskClient, state: ShopState) -> None:
    state.environment_type = "production"
    assert web.get("/wp-json/").get_json()["authentication"] == []
    state.https = True
    assert web.get("/wp-json/").get_json()["authentication"] != []


# -- application-password authentication --------------------------------------------------------------------------


def test_auth_codes(web: FlaskClient, state: ShopState, admin: dict[str, str]) -> None:
    me = "/wp-json/wp/v2/users/me?context=edit"
    ok = web.get(me, headers=admin).get_json()
    assert ok["roles"] == ["administrator"]
    assert ok["capabilities"]["manage_woocommerce"] is True
    assert web.get(me).get_json()["code"] == "rest_not_logged_in"
    assert web.get(me, headers=basic("shopadmin", "x" * 24)).get_json()["code"] == "incorrect_password"
    assert web.get(me, headers=basic("shopadmin", "admin-login-pw")).get_json()["code"] == "incorrect_password"
    assert web.get(me, headers=basic("nobody", "x" * 24)).get_json()["code"] == "invalid_username"
    assert web.get(me, headers=basic("no@body.example", "x" * 24)).get_json()["code"] == "invalid_email"
    wrong_on_wc = web.get(GW, headers=basic("shopadmin", "x" * 24))
    assert (wrong_on_wc.status_code, wrong_on_wc.get_json()["code"]) == (401, "woocommerce_rest_cannot_view")
    state.auth_error_style = "not_logged_in"  # as observed on Debian's WordPress 6.1.9
    assert web.get(me, headers=basic("shopadmin", "x" * 24)).get_json()["code"] == "rest_not_logged_in"


def test_spaced_app_password_and_email_login(web: FlaskClient, state: ShopState) -> None:
    password, _ = state.create_app_password(state.users["shopadmin"], "spaced")
    spaced = " ".join(password[i : i + 4] for i in range(0, 24, 4))
    assert web.get("/wp-json/wp/v2/users/me", headers=basic("owner@shop.example", spaced)).status_code == 200


def test_unavailable_app_passwords_ignore_credentials(
    web: FlaskClient, state: ShopState, admin: dict[str, str]
) -> None:
    state.environment_type = "production"
    assert web.get("/wp-json/wp/v2/users/me", headers=admin).get_json()["code"] == "rest_not_logged_in"
    assert web.get(GW, headers=admin).get_json()["code"] == "woocommerce_rest_cannot_view"
    listed = web.get("/wp-json/wp/v2/users/me/application-passwords", headers=admin)
    assert (listed.status_code, listed.get_json()["code"]) == (501, "application_passwords_disabled")


def test_app_password_routes(web: FlaskClient, admin: dict[str, str]) -> None:
    route = "/wp-json/wp/v2/users/me/application-passwords"
    app_id = "0b9a6a5e-3c3c-5d1f-8a55-2f4b8c3d7e10"
    created = web.post(route, json={"name": "mpesa-agent (x) t", "app_id": app_id}, headers=admin)
    assert created.status_code == 201
    body = created.get_json()
    assert len(body["password"]) == 24
    assert body["password"].isalnum()
    duplicate = web.post(route, json={"name": "mpesa-agent (x) t"}, headers=admin)
    assert (duplicate.status_code, duplicate.get_json()["code"]) == (409, "application_password_duplicate_name")
    assert web.post(route, json={"name": "  "}, headers=admin).get_json()["code"] == "application_password_empty_name"
    assert (
        web.post(route, json={"name": "y", "app_id": "nope"}, headers=admin).get_json()["code"] == "rest_invalid_param"
    )
    assert "password" not in web.get(route, headers=admin).get_json()[0]
    new = basic("shopadmin", body["password"])
    introspected = web.get(route + "/introspect", headers=new).get_json()
    assert (introspected["uuid"], introspected["app_id"]) == (body["uuid"], app_id)
    assert introspected["last_used"]
    gone = web.delete(f"{route}/{body['uuid']}", headers=admin)
    assert gone.get_json()["deleted"] is True
    assert web.get(route + "/introspect", headers=new).get_json()["code"] == "incorrect_password"
    missing = web.delete(f"{route}/{body['uuid']}", headers=admin)
    assert (missing.status_code, missing.get_json()["code"]) == (404, "rest_application_password_not_found")


# -- payment gateways -------------------------------------------------------------------------------------------


def test_gateway_permissions(web: FlaskClient, admin: dict[str, str], clerk: dict[str, str]) -> None:
    assert web.get(GW).status_code == 401
    denied = web.get(GW, headers=clerk)
    assert (denied.status_code, denied.get_json()["code"]) == (403, "woocommerce_rest_cannot_view")
    assert put(web, clerk, {"enabled": False}).get_json()["code"] == "woocommerce_rest_cannot_edit"
    missing = web.get("/wp-json/wc/v3/payment_gateways/nope", headers=admin)
    assert (missing.status_code, missing.get_json()["code"]) == (404, "woocommerce_rest_payment_gateway_invalid")
    listed = web.get("/wp-json/wc/v3/payment_gateways", headers=admin).get_json()
    assert [g["id"] for g in listed] == ["bacs", "cheque", "cod", "mpesa"]


def test_fresh_osen_settings_and_secrets_echoed(web: FlaskClient, admin: dict[str, str]) -> None:
    data = web.get(GW, headers=admin).get_json()
    settings = data["settings"]
    assert len(settings) == 25
    assert list(settings)[:3] == ["title", "env", "idtype"]
    assert settings["env"]["value"] == "sandbox"
    assert settings["idtype"]["value"] == ""
    assert settings["headoffice"]["value"] == 174379
    assert settings["secret"]["value"] == "bclwIPkcRqw61yUt"
    assert settings["debug_title"]["type"] == "title"
    assert data["enabled"] is True
    # signature changes on every read until the first save
    assert web.get(GW, headers=admin).get_json()["settings"]["signature"]["value"] != settings["signature"]["value"]
    put(web, admin, {"settings": {"initiator": "testapi", "password": "Safaricom999!!"}})
    first = web.get(GW, headers=admin).get_json()["settings"]
    assert first["signature"]["value"] == web.get(GW, headers=admin).get_json()["settings"]["signature"]["value"]
    assert first["password"]["value"] == "Safaricom999!!"


def test_update_semantics(web: FlaskClient, admin: dict[str, str]) -> None:
    reply = put(web, admin, {"settings": {"no_such_key": "x", "shortcode": 600000, "idtype": 2, "title": "X"}})
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["title"] == "Lipa Na M-Pesa"  # stale top-level title in the PUT reply
    assert body["settings"]["title"]["value"] == "X"
    assert body["settings"]["shortcode"]["value"] == "600000"
    assert body["settings"]["idtype"]["value"] == 2
    assert "no_such_key" not in body["settings"]
    assert web.get(GW, headers=admin).get_json()["title"] == "X"
    assert put(web, admin, {"settings": {"idtype": "4"}}).get_json()["settings"]["idtype"]["value"] == "4"
    assert put(web, admin, {"settings": {"reference": "0"}}).get_json()["settings"]["reference"]["value"] == ""


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"settings": {"env": "bogus"}}, "rest_setting_value_invalid"),
        ({"settings": {"enable_reversal": "maybe"}}, "rest_setting_value_invalid"),
        ({"settings": {"statuses": "wc-refunded"}}, "rest_setting_value_invalid"),
        ({"enabled": "yes"}, "rest_invalid_param"),
        ({"settings": "x"}, "rest_invalid_param"),
    ],
)
def test_invalid_values_abort_the_whole_update(web: FlaskClient, admin: dict[str, str], body: Any, code: str) -> None:
    if isinstance(body.get("settings"), dict):
        body["settings"]["initiator"] = "must-not-be-saved"
    reply = put(web, admin, body)
    assert (reply.status_code, reply.get_json()["code"]) == (400, code)
    assert web.get(GW, headers=admin).get_json()["settings"]["initiator"]["value"] == "test"


def test_invalid_json(web: FlaskClient, admin: dict[str, str]) -> None:
    reply = web.put(GW, data="not json", headers={**admin, "Content-Type": "application/json"})
    assert (reply.status_code, reply.get_json()["code"]) == (400, "rest_invalid_json")


def test_checkbox_quirk_multiselect_and_enabled(web: FlaskClient, admin: dict[str, str]) -> None:
    stored = put(web, admin, {"settings": {"enable_reversal": True}}).get_json()["settings"]["enable_reversal"]
    assert stored["value"] is True  # the JSON-true quirk: stored as true, not "yes"
    assert (
        put(web, admin, {"settings": {"enable_reversal": ""}}).get_json()["settings"]["enable_reversal"]["value"]
        == "no"
    )
    statuses = put(web, admin, {"settings": {"statuses": ["wc-refunded", "wc-bogus"]}}).get_json()["settings"]
    assert statuses["statuses"]["value"] == ["wc-refunded"]
    assert put(web, admin, {"settings": {"statuses": ["wc-bogus"]}}).get_json()["settings"]["statuses"]["value"] == ""
    assert put(web, admin, {"enabled": False}).get_json()["enabled"] is False
    assert put(web, admin, {"enabled": "true"}).get_json()["enabled"] is True


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("P@ss&word1", "P@ss&amp;word1"),
        ("a<b1", "a&lt;b1"),
        ("a>b1", "a&gt;b1"),
        ("x\\y1", "xy1"),
        (" pad1 ", "pad1"),
        ("<script>x</script>y1", "xy1"),
        ('Q"uote1', 'Q"uote1'),
        ("100%1", "100%1"),
    ],
)
def test_mangling_table(web: FlaskClient, admin: dict[str, str], sent: str, stored: str) -> None:
    reply = put(web, admin, {"settings": {"password": sent}})
    assert reply.get_json()["settings"]["password"]["value"] == stored


def test_fields_trimming(web: FlaskClient, admin: dict[str, str]) -> None:
    data = web.get(GW + "?_fields=id,enabled,settings.password.value", headers=admin).get_json()
    assert data.pop("_links")["self"]  # WordPress 6.1 keeps _links whatever _fields says (seen on the real one)
    assert data == {"id": "mpesa", "enabled": True, "settings": {"password": {"value": ""}}}
    listed = web.get("/wp-json/wc/v3/payment_gateways?_fields=id", headers=admin).get_json()
    assert [{k: v for k, v in g.items() if k != "_links"} for g in listed] == [
        {"id": "bacs"},
        {"id": "cheque"},
        {"id": "cod"},
        {"id": "mpesa"},
    ]


def test_method_override(web: FlaskClient, state: ShopState, admin: dict[str, str]) -> None:
    state.faults["block_put"] = True
    assert put(web, admin, {"enabled": False}).status_code == 501
    override = web.post(GW, json={"enabled": False}, headers={**admin, "X-HTTP-Method-Override": "PUT"})
    assert override.get_json()["enabled"] is False
    assert web.post(GW + "?_method=PUT", json={"enabled": True}, headers=admin).get_json()["enabled"] is True


def test_other_plugins_and_no_woocommerce(web: FlaskClient, state: ShopState, admin: dict[str, str]) -> None:
    state.plugin = "davisonpro"
    keys = set(web.get(GW, headers=admin).get_json()["settings"])
    assert {"exchange_rates", "completion_status"} <= keys
    assert "initiator" not in keys
    state.plugin = "none"
    assert web.get(GW, headers=admin).get_json()["code"] == "woocommerce_rest_payment_gateway_invalid"
    state.woocommerce_active = False
    assert web.get(GW, headers=admin).get_json()["code"] == "rest_no_route"
    assert "wc/v3" not in web.get("/wp-json/").get_json()["namespaces"]


# -- wp-login and authorize-application ----------------------------------------------------------------------------


def login(web: FlaskClient) -> None:
    reply = web.post("/wp-login.php", data={"log": "shopadmin", "pwd": "admin-login-pw"})
    assert reply.status_code == 302


def test_authorize_application_manual_flow(web: FlaskClient, state: ShopState) -> None:
    url = "/wp-admin/authorize-application.php?app_name=mpesa-agent&app_id=0b9a6a5e-3c3c-5d1f-8a55-2f4b8c3d7e10"
    first = web.get(url)
    assert first.status_code == 302
    assert "/wp-login.php?redirect_to=" in first.headers["Location"]
    login(web)
    page = web.get(url).get_data(as_text=True)
    assert "manually enter" in page
    approved = web.post(
        url, data={"approve": "1", "app_name": "mpesa-agent", "app_id": "0b9a6a5e-3c3c-5d1f-8a55-2f4b8c3d7e10"}
    )
    html = approved.get_data(as_text=True)
    assert 'id="new-application-password-value"' in html
    chunked = html.split('id="new-application-password-value"')[1].split('value="')[1].split('"')[0]
    assert len(chunked.replace(" ", "")) == 24
    item = state.users["shopadmin"].app_passwords[-1]
    assert (item.name, item.app_id) == ("mpesa-agent", "0b9a6a5e-3c3c-5d1f-8a55-2f4b8c3d7e10")


def test_authorize_application_redirect_rules(web: FlaskClient, state: ShopState) -> None:
    login(web)
    base = "/wp-admin/authorize-application.php?app_name=a"
    assert web.get(base + "&app_id=not-a-uuid").status_code == 400
    assert web.get(base + "&success_url=javascript:alert(1)").status_code == 400
    assert web.get(base + "&success_url=http://127.0.0.1:5000/cb").status_code == 200  # local environment
    state.environment_type = "production"
    state.https = True
    assert web.get(base + "&success_url=http://127.0.0.1:5000/cb").status_code == 400
    assert web.get(base + "&success_url=https://app.example/cb").status_code == 200
    assert web.get(base + "&success_url=mpesa-agent://callback").status_code == 200
    done = web.post(base + "&success_url=https://app.example/cb?state=s1", data={"approve": "1"})
    location = done.headers["Location"]
    assert location.startswith("https://app.example/cb?state=s1&site_url=")
    assert "user_login=shopadmin" in location
    assert "&password=" in location
    rejected = web.post(base + "&success_url=https://app.example/cb", data={"reject": "1"})
    assert rejected.headers["Location"] == "https://app.example/cb?success=false"
    state.https = False
    assert web.get(base).status_code == 501


def test_control_surface_only_in_test_and_demo_mode(state: ShopState) -> None:
    assert create_app(state, mode="shop").test_client().get("/__sim/ping").status_code == 404
    demo = create_app(state, mode="demo").test_client()
    assert demo.get("/__sim/ping").get_json()["kind"] == "shop"
    made = demo.post("/__sim/app-password", json={"user": "shopadmin", "name": "demo"}).get_json()
    assert len(made["password"]) == 24
    snapshot = demo.get("/__sim/state").get_json()
    assert made["password"] not in str(snapshot)
    assert demo.post("/__sim/settings", json={"permalinks": "odd"}).status_code == 400
    assert demo.post("/__sim/fault", json={"kind": "nope"}).status_code == 400
    with pytest.raises(ValueError, match="mode"):
        create_app(state, mode="prod")  # type: ignore[arg-type]


# -- wp_bridge against the shop over a socket ----------------------------------------------------------------------


@pytest.fixture
def shop() -> Iterator[SandboxShopServer]:
    server = SandboxShopServer()
    yield server
    server.stop()


def test_wp_bridge_against_the_shop(shop: SandboxShopServer) -> None:
    info = discover(shop.url, user_agent=UA)
    client = WPClient(info.api_root, user_agent=UA, credentials=Credentials("shopadmin", shop.app_password()))
    assert app_passwords.verify(client).can_manage_woocommerce
    values = {"initiator_username": "mamaapi", "initiator_password": "Kx7#mQ2$vL9%"}
    result = gateway.push_settings(client, values, site_url=info.site_url)
    assert (result.requests, result.verified) == (3, True)
    assert shop.sim("GET", "gateway/mpesa")["values"]["password"] == "Kx7#mQ2$vL9%"
    shop.sim("POST", "fault", {"kind": "alter_on_save", "key": "initiator"})
    with pytest.raises(errors.ReadBackMismatchError) as caught:
        gateway.push_settings(client, {"initiator_username": "other"}, site_url=info.site_url)
    assert caught.value.keys == ["initiator"]
    shop.sim("POST", "fault", {"kind": "clear"})
    shop.sim("POST", "fault", {"kind": "block_put"})
    again = gateway.push_settings(client, {"initiator_username": "third"}, site_url=info.site_url)
    assert again.method_override
    shop.sim("POST", "fault", {"kind": "strip_authorization"})
    with pytest.raises(errors.AuthorizationHeaderStrippedError):
        app_passwords.verify(client)
    shop.sim("POST", "fault", {"kind": "clear"})
    shop.sim("POST", "fault", {"kind": "disable_app_passwords"})
    with pytest.raises(errors.AppPasswordsUnavailableError):
        app_passwords.verify(client)
