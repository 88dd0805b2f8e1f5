"""wp_bridge.app_passwords: verify, the authorize-application URL, create, introspect, list and delete."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from tests.wordpress import shapes
from wp_bridge import app_passwords, errors
from wp_bridge.client import Credentials, WPClient
from wp_bridge.urls import app_id_for

pytestmark = pytest.mark.unit

UA = "mpesa-agent/9.9.9"
SECRET = "AbCdEfGhIjKlMnOpQrStUvWx"
ITEM = {
    "uuid": "6ae1f1b8-6c9c-4bde-a3ae-0c3f4e0a7b1a",
    "app_id": app_id_for(shapes.SITE),
    "name": "mpesa-agent (laptop) 2026-01-01 10:00:00 UTC",
    "created": "2026-01-01T10:00:00",
    "last_used": None,
    "last_ip": None,
}


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def client() -> WPClient:
    return WPClient(shapes.API, user_agent=UA, credentials=Credentials("shopadmin", SECRET))


def test_authorize_url_has_a_fixed_app_id_and_no_success_url() -> None:
    endpoint = shapes.SITE + "/wp-admin/authorize-application.php"
    url = app_passwords.authorize_url(endpoint, app_id=app_id_for(shapes.SITE), app_name="mpesa-agent (laptop) x")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == "/wp-admin/authorize-application.php"
    assert query == {"app_name": ["mpesa-agent (laptop) x"], "app_id": [app_id_for(shapes.SITE)]}
    assert "success_url" not in url
    with pytest.raises(errors.InvalidSiteURLError):
        app_passwords.authorize_url("javascript:alert(1)", app_id="x")


def test_app_password_name_is_unique_per_second_and_names_the_computer() -> None:
    name = app_passwords.app_password_name("laptop.local", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    assert name == "mpesa-agent (laptop) 2026-01-02 03:04:05 UTC"


def test_verify_requires_manage_woocommerce(rsps: Any) -> None:
    me = {"id": 7, "username": "clerk", "name": "Clerk", "roles": ["editor"], "capabilities": {"edit_posts": True}}
    rsps.get(shapes.ME_URL, json=me)
    with pytest.raises(errors.MissingCapabilityError) as caught:
        app_passwords.verify(client())
    assert "clerk (editor)" in caught.value.message.replace("'", "")
    user = app_passwords.verify(client(), require_manage_woocommerce=False)
    assert (user.id, user.roles, user.can_manage_woocommerce) == (7, ("editor",), False)


def test_verify_accepts_a_shop_manager(rsps: Any) -> None:
    caps = {"read": True, "manage_woocommerce": True, "shop_manager": True, "edit_posts": False}
    rsps.get(shapes.ME_URL, json={"id": 2, "username": "mgr", "roles": ["shop_manager"], "capabilities": caps})
    user = app_passwords.verify(client())
    assert user.can_manage_woocommerce
    assert "edit_posts" not in user.capabilities


def test_create_returns_the_password_once_and_is_never_retried(rsps: Any) -> None:
    rsps.post(
        shapes.APP_PASSWORDS_URL,
        status=201,
        json={**ITEM, "password": "NewPassw0rdNewPassw0rd12"},
        match=[matchers.json_params_matcher({"name": ITEM["name"], "app_id": ITEM["app_id"]})],
    )
    new = app_passwords.create(client(), app_id=ITEM["app_id"], name=ITEM["name"])
    assert new.password == "NewPassw0rdNewPassw0rd12"
    assert new.info.uuid == ITEM["uuid"]
    assert "NewPassw0rd" not in repr(new)


def test_create_duplicate_name(rsps: Any) -> None:
    status, body = shapes.ERRORS["application_password_duplicate_name"]
    rsps.post(shapes.APP_PASSWORDS_URL, status=status, json=body)
    with pytest.raises(errors.DuplicateAppPasswordNameError):
        app_passwords.create(client(), app_id=ITEM["app_id"], name="same")
    assert len(rsps.calls) == 1


def test_create_when_app_passwords_are_off(rsps: Any) -> None:
    status, body = shapes.ERRORS["application_passwords_disabled"]
    rsps.post(shapes.APP_PASSWORDS_URL, status=status, json=body)
    with pytest.raises(errors.AppPasswordsUnavailableError):
        app_passwords.create(client(), app_id=ITEM["app_id"])


def test_introspect_list_delete(rsps: Any) -> None:
    rsps.get(shapes.APP_PASSWORDS_URL + "/introspect", json={**ITEM, "last_used": "2026-01-02T00:00:00"})
    rsps.get(shapes.APP_PASSWORDS_URL, json=[ITEM])
    rsps.delete(shapes.APP_PASSWORDS_URL + "/" + ITEM["uuid"], json={"deleted": True})
    info = app_passwords.introspect(client())
    assert info.last_used == "2026-01-02T00:00:00"
    assert [i.uuid for i in app_passwords.list_all(client())] == [ITEM["uuid"]]
    app_passwords.delete(client(), ITEM["uuid"])
    assert rsps.calls[-1].request.method == "DELETE"


def test_delete_unknown_uuid(rsps: Any) -> None:
    status, body = shapes.ERRORS["rest_application_password_not_found"]
    rsps.delete(shapes.APP_PASSWORDS_URL + "/" + ITEM["uuid"], status=status, json=body)
    with pytest.raises(errors.AppPasswordNotFoundError):
        app_passwords.delete(client(), ITEM["uuid"])
    with pytest.raises(ValueError, match="UUID"):
        app_passwords.delete(client(), "../users")
