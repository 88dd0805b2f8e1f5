"""wp_bridge.client against recorded WordPress/WooCommerce answers (``responses``): transport rules, discovery,
and the mapping of every status/code pair of the reference to a precise exception."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from tests.wordpress import shapes
from wp_bridge import errors
from wp_bridge.client import Credentials, Transport, WPClient, discover

pytestmark = pytest.mark.unit

UA = "mpesa-agent/9.9.9"
APW = "/wp/v2/users/me/application-passwords"
SECRET = "AbCdEfGhIjKlMnOpQrStUvWx"


def client(credentials: bool = True, **kwargs: Any) -> WPClient:
    creds = Credentials("shopadmin", SECRET) if credentials else None
    return WPClient(shapes.API, user_agent=UA, credentials=creds, **kwargs)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# -- transport ----------------------------------------------------------------------------------------------------


def test_every_call_has_the_user_agent_a_timeout_and_verification(rsps: Any) -> None:
    rsps.get(shapes.ME_URL, json={"id": 1, "username": "shopadmin", "capabilities": {"manage_woocommerce": True}})
    user = client(timeout=(2.0, 7.0)).me()
    assert user.can_manage_woocommerce
    sent = rsps.calls[0].request
    assert sent.headers["User-Agent"] == UA
    assert sent.headers["Authorization"] == _basic("shopadmin", SECRET)
    assert sent.req_kwargs["timeout"] == (2.0, 7.0)
    assert sent.req_kwargs["verify"] not in (False, None, "")  # True, or a CA bundle from the environment
    assert "context=edit" in sent.url


def test_a_user_agent_is_required() -> None:
    with pytest.raises(ValueError, match="User-Agent"):
        WPClient(shapes.API, user_agent="")


def test_plain_http_to_a_public_host_is_refused_before_sending(rsps: Any) -> None:
    with pytest.raises(errors.InsecureTransportError):
        WPClient("http://shop.example/wp-json/", user_agent=UA, credentials=Credentials("a", SECRET))
    with pytest.raises(errors.InsecureTransportError):
        discover("http://shop.example", user_agent=UA)
    assert len(rsps.calls) == 0


def test_credentials_never_follow_a_redirect_to_another_host(rsps: Any) -> None:
    rsps.get(shapes.ME_URL, status=301, headers={"Location": "https://evil.example/wp-json/wp/v2/users/me"})
    rsps.get("https://evil.example/wp-json/wp/v2/users/me", json={"id": 1})
    with pytest.raises(errors.RedirectRefusedError) as caught:
        client().me()
    assert "evil.example" in caught.value.message
    assert [c.request.url.split("?")[0] for c in rsps.calls] == [shapes.ME_URL]


def test_a_same_host_redirect_is_followed_with_credentials(rsps: Any) -> None:
    rsps.get(shapes.ME_URL, status=308, headers={"Location": shapes.ME_URL + "?context=edit&_fields=id"})
    rsps.get(shapes.ME_URL, json={"id": 3, "username": "x"})
    assert client().me().id == 3
    assert rsps.calls[1].request.headers["Authorization"] == _basic("shopadmin", SECRET)


def test_a_write_is_never_redirected(rsps: Any) -> None:
    rsps.put(shapes.GATEWAY_URL, status=302, headers={"Location": shapes.GATEWAY_URL})
    with pytest.raises(errors.RedirectRefusedError):
        client().call("PUT", "/wc/v3/payment_gateways/mpesa", body={"settings": {}})
    assert len(rsps.calls) == 1


def test_idempotent_requests_are_retried_writes_are_not(rsps: Any) -> None:
    rsps.get(shapes.ME_URL, status=503, body="busy")
    rsps.get(shapes.ME_URL, json={"id": 1})
    assert client().me().id == 1
    assert len(rsps.calls) == 2
    rsps.post(shapes.APP_PASSWORDS_URL, status=503, body="busy")
    with pytest.raises(errors.SiteServerError):
        client().call("POST", "/wp/v2/users/me/application-passwords", body={"name": "x"}, expect=(201,))
    assert len([c for c in rsps.calls if c.request.method == "POST"]) == 1


def test_connection_errors_and_timeouts_are_explained(rsps: Any) -> None:
    rsps.get(shapes.ME_URL, body=requests.exceptions.ConnectTimeout("slow"))
    with pytest.raises(errors.SiteUnreachableError) as caught:
        client(retries=0).me()
    assert "did not answer in time" in caught.value.message
    rsps.replace(responses.GET, shapes.ME_URL, body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(errors.SiteUnreachableError):
        client(retries=0).me()
    rsps.replace(responses.GET, shapes.ME_URL, body=requests.exceptions.SSLError("bad cert"))
    with pytest.raises(errors.TLSVerificationError) as tls:
        client(retries=0).me()
    assert "never switched off" in (tls.value.hint or "")


# -- discovery ------------------------------------------------------------------------------------------------------


def test_discovery_uses_the_link_header(rsps: Any) -> None:
    rsps.head(shapes.SITE + "/", headers={"Link": f'<{shapes.API}>; rel="https://api.w.org/"'})
    rsps.get(
        shapes.API,
        json=shapes.INDEX,
        match=[matchers.query_param_matcher({"_fields": "name,url,home,namespaces,authentication"})],
    )
    info = discover("Shop.Example", user_agent=UA)
    assert info.site_url == shapes.SITE
    assert info.api_root.url == shapes.API
    assert info.api_root.style == "pretty"
    assert info.woocommerce
    assert info.app_passwords_available
    assert info.authorization_url == shapes.SITE + "/wp-admin/authorize-application.php"
    assert all("Authorization" not in c.request.headers for c in rsps.calls)


def test_discovery_plain_permalinks_link(rsps: Any) -> None:
    root = shapes.SITE + "/index.php?rest_route=/"
    rsps.head(shapes.SITE + "/", headers={"Link": f'<{root}>; rel="https://api.w.org/"'})
    rsps.get(
        shapes.SITE + "/index.php",
        json=shapes.INDEX,
        match=[matchers.query_param_matcher({"rest_route": "/"}, strict_match=False)],
    )
    info = discover(shapes.SITE, user_agent=UA)
    assert info.api_root.style == "query"
    assert info.api_root.route("/wp/v2/users/me")[1]["rest_route"] == "/wp/v2/users/me"


def test_discovery_reads_the_html_link_when_a_proxy_strips_headers(rsps: Any) -> None:
    rsps.head(shapes.SITE + "/", status=405)
    html = f"<html><head><link rel='https://api.w.org/' href='{shapes.SITE}/api/' /></head></html>"
    rsps.get(shapes.SITE + "/", body=html, content_type="text/html")
    rsps.get(shapes.SITE + "/api/", json=shapes.INDEX)
    assert discover(shapes.SITE, user_agent=UA).api_root.url == shapes.SITE + "/api/"


def test_discovery_falls_back_to_rest_route(rsps: Any) -> None:
    rsps.head(shapes.SITE + "/")
    rsps.get(shapes.SITE + "/", body="<html></html>", content_type="text/html")
    rsps.get(shapes.API, body="<html>front page</html>", content_type="text/html")  # /wp-json/ not routed
    rsps.get(
        shapes.SITE + "/",
        json=shapes.INDEX,
        match=[matchers.query_param_matcher({"rest_route": "/"}, strict_match=False)],
    )
    info = discover(shapes.SITE, user_agent=UA)
    assert info.api_root.style == "query"


def test_discovery_follows_www_and_https_redirects_without_credentials(rsps: Any) -> None:
    rsps.head("https://shop.example/", status=301, headers={"Location": "https://www.shop.example/"})
    rsps.head(
        "https://www.shop.example/", headers={"Link": '<https://www.shop.example/wp-json/>; rel="https://api.w.org/"'}
    )
    index = {**shapes.INDEX, "url": "https://www.shop.example", "home": "https://www.shop.example"}
    rsps.get("https://www.shop.example/wp-json/", json=index)
    info = discover("shop.example", user_agent=UA)
    assert info.site_url == "https://www.shop.example"


def test_not_wordpress(rsps: Any) -> None:
    rsps.head(shapes.SITE + "/")
    rsps.get(shapes.SITE + "/", body="<html>hello</html>", content_type="text/html")
    rsps.get(shapes.API, status=404, body="<html>404</html>", content_type="text/html")
    with pytest.raises(errors.NotWordPressError) as caught:
        discover(shapes.SITE, user_agent=UA)
    assert caught.value.hint


def test_discovery_behind_a_cloudflare_challenge(rsps: Any) -> None:
    challenge = {"status": 403, "body": "<!DOCTYPE html><title>Just a moment...</title>", "content_type": "text/html",
                 "headers": {"cf-mitigated": "challenge", "Server": "cloudflare"}}  # fmt: skip
    rsps.head(shapes.SITE + "/", status=403, headers=challenge["headers"])
    rsps.get(shapes.SITE + "/", **challenge)
    rsps.get(shapes.API, **challenge)
    with pytest.raises(errors.FirewallBlockedError) as caught:
        discover(shapes.SITE, user_agent=UA)
    assert "Cloudflare" in caught.value.message
    assert "User-Agent" in (caught.value.hint or "")


def test_index_without_authentication_means_no_app_passwords(rsps: Any) -> None:
    rsps.head(shapes.SITE + "/", headers={"Link": f'<{shapes.API}>; rel="https://api.w.org/"'})
    rsps.get(shapes.API, json=shapes.INDEX_NO_APP_PASSWORDS)
    info = discover(shapes.SITE, user_agent=UA)
    assert not info.app_passwords_available
    assert info.authorization_url is None


# -- error mapping ------------------------------------------------------------------------------------------------


def _answer(rsps: Any, method: str, url: str, name: str) -> None:
    status, body = shapes.ERRORS[name]
    rsps.add(method, url, json=body, status=status)


@pytest.mark.parametrize(
    ("name", "exc_type", "kind"),
    [
        ("incorrect_password", errors.WrongPasswordError, "auth"),
        ("invalid_username", errors.UnknownUserError, "auth"),
        ("invalid_email", errors.UnknownUserError, "auth"),
        ("application_passwords_disabled", errors.AppPasswordsUnavailableError, "auth"),
        ("application_passwords_disabled_for_user", errors.AppPasswordsUnavailableError, "auth"),
    ],
)
def test_credential_errors_on_users_me(rsps: Any, name: str, exc_type: type[Exception], kind: str) -> None:
    _answer(rsps, "GET", shapes.ME_URL, name)
    with pytest.raises(exc_type) as caught:
        client().me()
    exc = caught.value
    assert isinstance(exc, errors.WPBridgeError)
    assert exc.kind == kind
    assert exc.code == name
    assert exc.hint
    assert SECRET not in exc.message + exc.hint + repr(exc)


def test_not_logged_in_with_credentials_and_app_passwords_on_means_a_stripped_header(rsps: Any) -> None:
    _answer(rsps, "GET", shapes.ME_URL, "rest_not_logged_in")
    rsps.get(shapes.API, json=shapes.INDEX)
    with pytest.raises(errors.AuthorizationHeaderStrippedError) as caught:
        client().me()
    assert "SetEnvIf Authorization" in (caught.value.hint or "")
    assert "fastcgi_param HTTP_AUTHORIZATION" in (caught.value.hint or "")
    probe = rsps.calls[1].request
    assert probe.url.startswith(shapes.API)
    assert "Authorization" not in probe.headers  # the probe cannot count as a failed login: no lock-out


def test_not_logged_in_with_credentials_and_no_app_passwords_means_unavailable(rsps: Any) -> None:
    _answer(rsps, "GET", shapes.ME_URL, "rest_not_logged_in")
    rsps.get(shapes.API, json=shapes.INDEX_NO_APP_PASSWORDS)
    with pytest.raises(errors.AppPasswordsUnavailableError) as caught:
        client().me()
    assert "Wordfence" in (caught.value.hint or "")
    assert "Authorization" not in rsps.calls[1].request.headers


def test_wc_cannot_view_401_is_diagnosed_on_users_me(rsps: Any) -> None:
    _answer(rsps, "GET", shapes.GATEWAY_URL, "woocommerce_rest_cannot_view_401")
    _answer(rsps, "GET", shapes.ME_URL, "incorrect_password")
    with pytest.raises(errors.WrongPasswordError):
        client().call("GET", "/wc/v3/payment_gateways/mpesa")


def test_wc_cannot_view_403_is_a_missing_capability(rsps: Any) -> None:
    _answer(rsps, "GET", shapes.GATEWAY_URL, "woocommerce_rest_cannot_view_403")
    with pytest.raises(errors.MissingCapabilityError) as caught:
        client().call("GET", "/wc/v3/payment_gateways/mpesa")
    assert "manage_woocommerce" in caught.value.message
    assert caught.value.kind == "auth"
    assert len(rsps.calls) == 1


@pytest.mark.parametrize(
    ("name", "route", "exc_type"),
    [
        ("woocommerce_rest_payment_gateway_invalid", "/wc/v3/payment_gateways/mpesa", errors.GatewayPluginMissingError),
        ("rest_no_route", "/wc/v3/payment_gateways/mpesa", errors.WooCommerceMissingError),
        ("rest_no_route", "/wp/v2/users/me/application-passwords/introspect", errors.UnexpectedResponseError),
        ("rest_setting_value_invalid", "/wc/v3/payment_gateways/mpesa", errors.ValueRejectedError),
        ("rest_invalid_param", "/wc/v3/payment_gateways/mpesa", errors.ValueRejectedError),
        ("rest_invalid_json", "/wc/v3/payment_gateways/mpesa", errors.ValueRejectedError),
        ("application_password_duplicate_name", APW, errors.DuplicateAppPasswordNameError),
        ("application_password_empty_name", APW, errors.UnexpectedResponseError),
        ("rest_no_authenticated_app_password", APW + "/introspect", errors.AppPasswordNotFoundError),
        ("rest_application_password_not_found", APW + "/x", errors.AppPasswordNotFoundError),
    ],
)  # fmt: skip
def test_site_errors(rsps: Any, name: str, route: str, exc_type: type[Exception]) -> None:
    _answer(rsps, "GET", shapes.API + route.lstrip("/"), name)
    with pytest.raises(exc_type) as caught:
        client().call("GET", route)
    assert isinstance(caught.value, errors.WPBridgeError)
    assert caught.value.kind == "site"
    assert caught.value.status == shapes.ERRORS[name][0]


def test_invalid_param_names_the_parameter(rsps: Any) -> None:
    _answer(rsps, "PUT", shapes.GATEWAY_URL, "rest_invalid_param")
    with pytest.raises(errors.ValueRejectedError) as caught:
        client().call("PUT", "/wc/v3/payment_gateways/mpesa", body={"enabled": "yes"})
    assert "(enabled)" in caught.value.message
    assert "nothing was saved" in caught.value.message


def test_a_lockdown_plugin_code_is_named(rsps: Any) -> None:
    rsps.get(shapes.ME_URL, status=403, json={"code": "rest_login_required", "message": "Only authenticated users"})
    with pytest.raises(errors.RESTAccessBlockedError) as caught:
        client().me()
    assert "rest_login_required" in caught.value.message
    assert "security" in caught.value.message


@pytest.mark.parametrize(
    ("status", "headers", "body", "exc_type"),
    [
        (403, {"cf-mitigated": "challenge", "Server": "cloudflare"}, "<html><title>Just a moment</title></html>",
         errors.FirewallBlockedError),
        (406, {}, "<html><body>Not Acceptable (mod_security)</body></html>", errors.FirewallBlockedError),
        (503, {"x-sucuri-id": "1"}, "<html>blocked</html>", errors.FirewallBlockedError),
        (500, {}, "<b>Fatal error</b>", errors.SiteServerError),
        (200, {}, "Deprecated: something in functions.php{\"id\":1}", errors.UnexpectedResponseError),
    ],
)  # fmt: skip
def test_non_json_answers(
    rsps: Any, status: int, headers: dict[str, str], body: str, exc_type: type[Exception]
) -> None:
    rsps.get(shapes.ME_URL, status=status, body=body, headers=headers, content_type="text/html")
    with pytest.raises(exc_type) as caught:
        client(retries=0).me()
    assert "Fatal" not in str(caught.value)  # bodies never reach messages


def test_put_blocked_falls_back_to_post_with_method_override(rsps: Any) -> None:
    rsps.put(shapes.GATEWAY_URL, status=501, body="<html>Method Not Implemented</html>", content_type="text/html")
    rsps.post(
        shapes.GATEWAY_URL,
        json={"id": "mpesa"},
        match=[
            matchers.header_matcher({"X-HTTP-Method-Override": "PUT"}),
            matchers.json_params_matcher({"enabled": False}),
        ],
    )
    c = client()
    reply = c.put("/wc/v3/payment_gateways/mpesa", body={"enabled": False})
    assert reply.data == {"id": "mpesa"}
    assert c.used_method_override
    assert [call.request.method for call in rsps.calls] == ["PUT", "POST"]


def test_put_and_override_both_blocked(rsps: Any) -> None:
    html = {"status": 403, "body": "<html><title>Access denied</title></html>", "content_type": "text/html"}
    rsps.put(shapes.GATEWAY_URL, **html)
    rsps.post(shapes.GATEWAY_URL, **html)
    with pytest.raises(errors.MethodBlockedError) as caught:
        client().put("/wc/v3/payment_gateways/mpesa", body={"settings": {}})
    assert "X-HTTP-Method-Override" in caught.value.message


def test_credentials_never_appear_in_repr() -> None:
    creds = Credentials("shopadmin", SECRET)
    assert SECRET not in repr(creds)
    assert SECRET not in repr(client())


def test_nothing_is_logged_but_method_route_and_status(rsps: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="wp_bridge")
    rsps.get(shapes.GATEWAY_URL, json=shapes.osen_gateway(password="Safaricom999"))
    client().call("GET", "/wc/v3/payment_gateways/mpesa")
    text = caplog.text
    assert "GET /wp-json/wc/v3/payment_gateways/mpesa -> 200" in text
    assert "Safaricom999" not in text
    assert SECRET not in text
    assert "shop.example" not in text


def test_transport_counts_requests(rsps: Any) -> None:
    rsps.get(shapes.ME_URL, json={"id": 1})
    transport = Transport(user_agent=UA)
    c = WPClient(shapes.API, user_agent=UA, credentials=Credentials("a", SECRET), transport=transport)
    c.me()
    assert c.requests_sent == 1
    assert c.with_credentials(Credentials("b", SECRET)).transport is transport


@pytest.mark.parametrize("code", ["rest_cannot_view_plugins", "rest_forbidden_context", "rest_forbidden"])
def test_core_permission_codes_mean_a_missing_capability(rsps: Any, code: str) -> None:
    rsps.get(shapes.API + "wp/v2/plugins", status=403, json=shapes.error(code, "Sorry.", 403))
    with pytest.raises(errors.MissingCapabilityError) as caught:
        client().call("GET", "/wp/v2/plugins")
    assert code in caught.value.message


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


@pytest.mark.parametrize(
    "cls", [errors.WPBridgeError, *_all_subclasses(errors.WPBridgeError)], ids=lambda c: c.__name__
)
def test_every_error_has_a_hint_and_a_kind(cls: type) -> None:
    if cls is errors.UnsupportedPluginError:
        exc = cls("m", plugin="p", reason="r")
    elif cls is errors.ReadBackMismatchError:
        exc = cls("m", keys=["password"])
    else:
        exc = cls("m")
    assert exc.hint
    assert exc.kind in ("auth", "verify", "site", "usage")
    assert str(exc) == "m"
