"""The sandbox shop's pages for a person: the Profile page that creates an application password (accepted by the REST
API), and WooCommerce → Settings → Payments showing what a push wrote with secrets masked (Flask's test client)."""

from __future__ import annotations

import base64
import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from agent.sandbox.shop import gateways
from agent.sandbox.shop.app import create_app
from agent.sandbox.shop.state import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD, ShopState

pytestmark = pytest.mark.unit

PROFILE = "/wp-admin/profile.php"
MPESA_SETTINGS = "/wp-admin/admin.php?page=wc-settings&tab=checkout&section=mpesa"
ME = "/wp-json/wp/v2/users/me"
GW = "/wp-json/wc/v3/payment_gateways/mpesa"
INITIATOR_PASSWORD = "Kx7#mQ2$vL9%"


class _ById(HTMLParser):
    """The value attribute (inputs) or the text of the element with a given id."""

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted, self.depth, self.found, self.parts = wanted, 0, False, list[str]()
        self.value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.wanted:
            self.found = True
            if tag == "input":
                self.value = dict(attrs).get("value") or ""
            else:
                self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def by_id(html: str, element_id: str) -> str | None:
    """The element's value/text, or None if the page has no such element."""
    parser = _ById(element_id)
    parser.feed(html)
    if not parser.found:
        return None
    return parser.value if parser.value is not None else " ".join("".join(parser.parts).split())


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def state() -> ShopState:
    return ShopState.seeded()


@pytest.fixture
def web(state: ShopState) -> FlaskClient:
    return create_app(state, mode="test").test_client()


def log_in(web: FlaskClient, login: str = DEFAULT_ADMIN, password: str = DEFAULT_ADMIN_PASSWORD) -> None:
    response = web.post("/wp-login.php", data={"log": login, "pwd": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def create_on_profile(web: FlaskClient, name: str) -> str:
    response = web.post(PROFILE, data={"new_application_password_name": name, "do_new_application_password": "1"})
    assert response.status_code == 200, response.get_data(as_text=True)
    value = by_id(response.get_data(as_text=True), "new-application-password-value")
    assert value, "no new password shown"
    return value


def test_the_admin_logs_in_with_the_published_sandbox_password(web: FlaskClient) -> None:
    assert web.post("/wp-login.php", data={"log": DEFAULT_ADMIN, "pwd": "wrong"}).status_code == 200  # form again
    assert web.get("/wp-admin/").status_code == 302
    log_in(web)
    assert "Howdy, shopadmin" in web.get("/wp-admin/").get_data(as_text=True)
    users = {u["login"]: u["login_password"] for u in web.get("/__sim/users").get_json()}
    assert users[DEFAULT_ADMIN] == DEFAULT_ADMIN_PASSWORD
    assert ShopState.seeded(admin_password="other").users[DEFAULT_ADMIN].login_password == "other"


def test_the_profile_page_needs_a_login_and_comes_back_after_it(web: FlaskClient) -> None:
    first = web.get(PROFILE)
    assert first.status_code == 302
    login_url = urlsplit(first.location)
    assert login_url.path == "/wp-login.php"
    back_to = parse_qs(login_url.query)["redirect_to"][0]
    assert back_to.endswith(PROFILE)
    logged_in = web.post(
        "/wp-login.php", data={"log": DEFAULT_ADMIN, "pwd": DEFAULT_ADMIN_PASSWORD, "redirect_to": back_to}
    )
    assert logged_in.status_code == 302
    assert logged_in.location == back_to
    page = web.get(PROFILE).get_data(as_text=True)
    assert by_id(page, "new_application_password_name") is not None
    assert by_id(page, "do_new_application_password") == "Add New Application Password"
    assert by_id(page, "new-application-password-value") is None


def test_a_password_made_on_the_profile_page_opens_the_rest_api_once_shown(web: FlaskClient) -> None:
    assert web.get(ME, headers=basic(DEFAULT_ADMIN, "abcd efgh ijkl mnop qrst uvwx")).status_code == 401
    log_in(web)
    shown = create_on_profile(web, "mpesa-agent")
    assert re.fullmatch(r"[A-Za-z0-9]{4}( [A-Za-z0-9]{4}){5}", shown)  # chunked like WordPress
    web.delete_cookie("wordpress_logged_in_sandbox")  # the REST call is the agent's, not the browser's
    me = web.get(ME + "?context=edit", headers=basic(DEFAULT_ADMIN, shown))
    assert me.status_code == 200, me.get_data(as_text=True)
    assert me.get_json()["username"] == DEFAULT_ADMIN
    assert web.get(ME, headers=basic(DEFAULT_ADMIN, shown.replace(" ", ""))).status_code == 200
    log_in(web)
    again = web.get(PROFILE).get_data(as_text=True)
    assert shown not in again
    assert shown.replace(" ", "") not in again
    assert "mpesa-agent" in again  # listed by name


def test_the_profile_page_refuses_an_empty_or_repeated_name_and_an_unavailable_feature(
    web: FlaskClient, state: ShopState
) -> None:
    log_in(web)
    empty = web.post(PROFILE, data={"new_application_password_name": "  "})
    assert empty.status_code == 400
    assert "name is required" in (by_id(empty.get_data(as_text=True), "application-passwords-error") or "")
    create_on_profile(web, "twice")
    repeated = web.post(PROFILE, data={"new_application_password_name": "twice"})
    assert repeated.status_code == 409
    assert "unique" in (by_id(repeated.get_data(as_text=True), "application-passwords-error") or "")
    state.environment_type = "production"  # over http: WordPress turns application passwords off
    off = web.post(PROFILE, data={"new_application_password_name": "third"})
    assert off.status_code == 501
    assert by_id(off.get_data(as_text=True), "new-application-password-value") is None
    assert [p.name for p in state.users[DEFAULT_ADMIN].app_passwords] == ["twice"]


def test_the_settings_page_shows_what_a_push_wrote_with_secrets_masked(web: FlaskClient, state: ShopState) -> None:
    log_in(web)
    before = web.get(MPESA_SETTINGS).get_data(as_text=True)
    assert by_id(before, "settings-never-saved") is not None
    for key in ("key", "secret", "passkey"):  # Daraja's public sandbox defaults are masked too
        default = str(gateways.osen_fields()[key]["default"])
        assert default not in before
        assert by_id(before, f"woocommerce_mpesa_{key}") == gateways.MASK + default[-2:]
    password, _item = state.create_app_password(state.users[DEFAULT_ADMIN], "push")
    put = web.put(
        GW,
        json={"settings": {"initiator": "mamaapi", "password": INITIATOR_PASSWORD}},
        headers=basic(DEFAULT_ADMIN, password),
    )
    assert put.status_code == 200, put.get_data(as_text=True)
    after = web.get(MPESA_SETTINGS).get_data(as_text=True)
    assert by_id(after, "settings-saved") is not None
    assert by_id(after, "woocommerce_mpesa_initiator") == "mamaapi"
    assert by_id(after, "woocommerce_mpesa_password") == gateways.MASK + "9%"
    assert INITIATOR_PASSWORD not in unescape(after)
    stored, _saved = state.gateway_settings("mpesa")
    assert stored["signature"] not in after
    assert by_id(after, "woocommerce_mpesa_shortcode") == "174379"
    assert by_id(after, "woocommerce_mpesa_env") == "Sandbox (sandbox)"
    for key, field in gateways.osen_fields().items():  # every setting of the gateway is on the page
        if field["type"] != "title":
            assert by_id(after, f"woocommerce_mpesa_{key}") is not None, key


def test_the_settings_pages_for_other_users_plugins_and_gateways(web: FlaskClient, state: ShopState) -> None:
    assert web.get(MPESA_SETTINGS).status_code == 302
    log_in(web, "clerk", state.users["clerk"].login_password)
    assert web.get(MPESA_SETTINGS).status_code == 403  # an Editor may not manage WooCommerce
    log_in(web)
    listing = web.get("/wp-admin/admin.php?page=wc-settings&tab=checkout")
    assert listing.status_code == 200
    assert "section=mpesa" in listing.get_data(as_text=True)
    assert web.get("/wp-admin/admin.php?page=wc-settings&tab=checkout&section=bacs").status_code == 200
    assert web.get("/wp-admin/admin.php?page=wc-settings&tab=checkout&section=nope").status_code == 404
    state.plugin = "none"
    gone = web.get(MPESA_SETTINGS)
    assert gone.status_code == 404
    assert "no M-PESA plugin is active" in gone.get_data(as_text=True)
    state.woocommerce_active = False
    assert web.get(MPESA_SETTINGS).status_code == 404


def test_the_davisonpro_gateway_masks_its_secrets(web: FlaskClient, state: ShopState) -> None:
    state.plugin = "davisonpro"
    state.save_gateway_settings("mpesa", {"secret": "consumer-secret-value", "shortcode": "600000"})
    log_in(web)
    page = web.get(MPESA_SETTINGS).get_data(as_text=True)
    assert "consumer-secret-value" not in page
    assert by_id(page, "woocommerce_mpesa_secret") == gateways.MASK + "ue"
    assert by_id(page, "woocommerce_mpesa_shortcode") == "600000"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("", ""), (None, ""), ("abc", gateways.MASK), ("1234567", gateways.MASK), ("12345678", gateways.MASK + "78")],
)
def test_mask_shows_at_most_the_last_two_characters_of_long_values(value: str | None, shown: str) -> None:
    assert gateways.mask(value) == shown


def test_the_sandbox_pages_exist_only_in_test_or_demo_mode_with_a_portal(state: ShopState) -> None:
    assert create_app(state, mode="test").test_client().get("/sandbox/sms").status_code == 404
    portal = "http://127.0.0.1:9"
    assert create_app(state, mode="shop", portal_url=portal).test_client().get("/sandbox/sms").status_code == 404
    down = create_app(state, mode="demo", portal_url=portal).test_client().get("/sandbox/sms")
    assert down.status_code == 503  # nothing listens on port 9: says so, and keeps refreshing
    assert "did not answer" in down.get_data(as_text=True)
