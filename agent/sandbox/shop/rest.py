"""The sandbox shop's REST API: WordPress core's index, users/me and application passwords, and WooCommerce's
``wc/v3`` (and ``wc/v2``) payment gateways, with the status/code pairs of the reference (§3.2, §4.3, §4.4).

Request handling follows WordPress: Basic credentials are tried as an application password only when application
passwords are available (HTTPS or a ``local`` environment); a refused password fails the request with
``incorrect_password``/``invalid_username`` (or, with ``auth_error_style = "not_logged_in"``, is silently ignored as
observed on Debian's WordPress 6.1.9), except on ``wc/`` routes where WooCommerce answers
``woocommerce_rest_cannot_view``;
POST honours ``X-HTTP-Method-Override`` and ``?_method=``; ``_fields`` trims replies (nested paths, lists per item).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, request

from agent.sandbox.shop import gateways
from agent.sandbox.shop.state import AppPassword, ShopState, User, _now

JSON_TYPE = "application/json; charset=UTF-8"


@dataclasses.dataclass
class RestError(Exception):
    code: str
    message: str
    status: int
    params: dict[str, str] | None = None

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status}
        if self.params:
            data["params"] = self.params
        return {"code": self.code, "message": self.message, "data": data}


@dataclasses.dataclass
class Call:
    """One REST request as the handlers see it."""

    state: ShopState
    method: str
    route: str
    match: re.Match[str]
    params: dict[str, Any]
    body: dict[str, Any]
    user: User | None
    app_password: AppPassword | None
    base: str

    def require_user(self) -> User:
        if self.user is None:
            raise RestError("rest_not_logged_in", "You are not currently logged in.", 401)
        return self.user


def _forbidden_status(call: Call) -> int:
    """``rest_authorization_required_code()``: 401 when not logged in, 403 when logged in."""
    return 401 if call.user is None else 403


# -- authentication -----------------------------------------------------------------------------------------------


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    user, password = decoded.split(":", 1)
    return user, password


def authenticate(state: ShopState, route: str) -> tuple[User | None, AppPassword | None]:
    """The user an application password authenticates, or (None, None); raises RestError for a refused one."""
    if state.faults.get("strip_authorization"):
        return None, None
    creds = _basic_credentials()
    if creds is None or not state.app_passwords_available:
        return None, None  # unavailable: Basic credentials are silently ignored
    login, password = creds
    user = state.find_user(login)
    error: RestError | None = None
    item = None
    if user is None:
        if "@" in login:
            error = RestError("invalid_email", "Unknown email address. Check again or try your username.", 401)
        else:
            error = RestError("invalid_username", "Unknown username. Check again or try your email address.", 401)
    else:
        item = state.check_app_password(user, password)
        if item is None:
            error = RestError("incorrect_password", "The provided password is an invalid application password.", 401)
    if error is not None:
        if route.lstrip("/").startswith("wc/") or state.auth_error_style == "not_logged_in":
            return None, None
        raise error
    assert user is not None
    assert item is not None
    with state.lock:
        item.last_used = _now()
        item.last_ip = request.remote_addr
    return user, item


# -- _fields ------------------------------------------------------------------------------------------------------


def _field_tree(spec: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in (p.strip() for p in spec.split(",")):
        if not path:
            continue
        node = tree
        parts = path.split(".")
        for i, part in enumerate(parts):
            if node.get(part) is True:
                break
            if i == len(parts) - 1:
                node[part] = True
            else:
                node = node.setdefault(part, {})
    return tree


def _pick(data: Any, tree: dict[str, Any], *, top: bool = False) -> Any:
    if not isinstance(data, dict):
        return data
    out = {}
    for key, sub in tree.items():
        if key in data:
            out[key] = data[key] if sub is True else _pick(data[key], sub)
    if top and "_links" in data:  # as observed on WordPress 6.1: links are added after the _fields filter
        out["_links"] = data["_links"]
    return out


def filter_fields(data: Any, spec: str | None) -> Any:
    if not spec:
        return data
    tree = _field_tree(spec)
    if isinstance(data, list):
        return [_pick(item, tree, top=True) for item in data]
    return _pick(data, tree, top=True)


# -- handlers: WordPress core -------------------------------------------------------------------------------------


def index(call: Call) -> Any:
    state = call.state
    namespaces = ["oembed/1.0", "wp/v2", "wp-site-health/v1", "wp-block-editor/v1"]
    if state.woocommerce_active:
        namespaces[1:1] = ["wc/v3", "wc/v2", "wc/store/v1"]
    authentication: Any = []
    if state.app_passwords_available:
        authentication = {
            "application-passwords": {"endpoints": {"authorization": call.base + "wp-admin/authorize-application.php"}}
        }
    return {
        "name": state.name,
        "description": "A WooCommerce-compatible sandbox shop",
        "url": call.base.rstrip("/"),
        "home": call.base.rstrip("/"),
        "gmt_offset": 3,
        "timezone_string": "Africa/Nairobi",
        "namespaces": namespaces,
        "authentication": authentication,
        "routes": {},
    }


def users_me(call: Call) -> Any:
    user = call.require_user()
    data: dict[str, Any] = {
        "id": user.id,
        "name": user.login,
        "url": "",
        "description": "",
        "link": f"{call.base}author/{user.login}/",
        "slug": user.login,
    }
    if call.params.get("context") == "edit":
        data.update(
            {
                "username": user.login,
                "email": user.email,
                "roles": [user.role],
                "capabilities": {cap: True for cap in sorted(user.capabilities)},
            }
        )
    return data


def _app_password_user(call: Call) -> User:
    """``WP_REST_Application_Passwords_Controller::get_user()``: availability first, then the user."""
    if not call.state.app_passwords_available:
        raise RestError("application_passwords_disabled", "Application passwords are not available.", 501)
    return call.require_user()


def _find_item(user: User, item_uuid: str) -> AppPassword:
    for item in user.app_passwords:
        if item.uuid == item_uuid:
            return item
    raise RestError("rest_application_password_not_found", "Application password not found.", 404)


def app_passwords_list(call: Call) -> Any:
    user = _app_password_user(call)
    return [item.public() for item in user.app_passwords]


def app_passwords_create(call: Call) -> Any:
    user = _app_password_user(call)
    name = call.body.get("name", call.params.get("name"))
    if name is None:
        raise RestError("rest_missing_callback_param", "Missing parameter(s): name", 400, {"name": "name is required"})
    name = str(name).strip()
    if not name:
        raise RestError(
            "application_password_empty_name", "An application name is required to create an application password.", 400
        )
    app_id = str(call.body.get("app_id", call.params.get("app_id", "")) or "")
    if app_id:
        try:
            uuid.UUID(app_id)
        except ValueError:
            raise RestError(
                "rest_invalid_param", "Invalid parameter(s): app_id", 400, {"app_id": "app_id is not a valid UUID."}
            ) from None
    with call.state.lock:
        if any(item.name == name for item in user.app_passwords):
            raise RestError("application_password_duplicate_name", "Each application name should be unique.", 409)
        password, item = call.state.create_app_password(user, name, app_id)
    return 201, {**item.public(), "password": password}


def app_passwords_delete_all(call: Call) -> Any:
    user = _app_password_user(call)
    with call.state.lock:
        count = len(user.app_passwords)
        user.app_passwords.clear()
    return {"deleted": True, "count": count}


def app_password_introspect(call: Call) -> Any:
    _app_password_user(call)
    if call.app_password is None:
        raise RestError("rest_no_authenticated_app_password", "Cannot introspect application password.", 404)
    return call.app_password.public()


def app_password_item(call: Call) -> Any:
    user = _app_password_user(call)
    item = _find_item(user, call.match.group("uuid"))
    if call.method == "DELETE":
        with call.state.lock:
            user.app_passwords.remove(item)
        return {"deleted": True, "previous": item.public()}
    return item.public()


# -- handlers: WooCommerce payment gateways ------------------------------------------------------------------------


def _manager(call: Call, action: str) -> None:
    if call.user is not None and call.user.can("manage_woocommerce"):
        return
    messages = {
        "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
        "read": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
        "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    }
    code, message = messages[action]
    raise RestError(code, message, _forbidden_status(call))


def _gateway_item(
    call: Call, gateway_id: str, *, settings: dict[str, Any] | None = None, title: str | None = None
) -> dict[str, Any]:
    state = call.state
    method_title, fields = state.gateway_table()[gateway_id]
    current, _saved = state.gateway_settings(gateway_id)
    values = settings if settings is not None else current
    order = state.options.get("woocommerce_gateway_order", {})
    ns = "wc/v2" if call.route.startswith("/wc/v2/") else "wc/v3"
    return {
        "id": gateway_id,
        "title": title if title is not None else current.get("title", ""),
        "description": values.get("description", ""),
        "order": order.get(gateway_id, ""),
        "enabled": values.get("enabled") == "yes",
        "method_title": method_title,
        "method_description": "",
        "method_supports": ["products"],
        "settings": gateways.rest_settings(fields, values),
        "_links": {
            "self": [{"href": f"{call.base}wp-json/{ns}/payment_gateways/{gateway_id}"}],
            "collection": [{"href": f"{call.base}wp-json/{ns}/payment_gateways"}],
        },
    }


def _require_gateway(call: Call) -> str:
    gateway_id = call.match.group("id")
    if gateway_id not in call.state.gateway_table():
        raise RestError("woocommerce_rest_payment_gateway_invalid", "Resource does not exist.", 404)
    return gateway_id


def gateways_list(call: Call) -> Any:
    _manager(call, "list")
    return [_gateway_item(call, gid) for gid in call.state.gateway_table()]


def gateway_get(call: Call) -> Any:
    _manager(call, "read")
    return _gateway_item(call, _require_gateway(call))


_BOOL_STRINGS = {"true": True, "false": False, "1": True, "0": False}


def _rest_boolean(value: Any) -> bool | None:
    """WordPress's schema boolean: true/false, "true"/"false", "1"/"0", 1/0; anything else is invalid (None)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _BOOL_STRINGS:
        return _BOOL_STRINGS[value.lower()]
    return None


def gateway_update(call: Call) -> Any:
    _manager(call, "edit")
    gateway_id = _require_gateway(call)
    body = call.body
    if "enabled" in body and _rest_boolean(body["enabled"]) is None:
        raise RestError(
            "rest_invalid_param", "Invalid parameter(s): enabled", 400, {"enabled": "enabled is not of type boolean."}
        )
    if "settings" in body and not isinstance(body["settings"], dict):
        raise RestError(
            "rest_invalid_param", "Invalid parameter(s): settings", 400, {"settings": "settings is not of type object."}
        )
    state = call.state
    with state.lock:
        _title, fields = state.gateway_table()[gateway_id]
        before, _saved = state.gateway_settings(gateway_id)
        values = dict(before)
        for key, field in fields.items():
            incoming = (body.get("settings") or {}).get(key)
            if incoming is None:  # isset()
                continue
            try:
                values[key] = gateways.validate(incoming, field)
            except gateways.InvalidSetting:
                raise RestError("rest_setting_value_invalid", "An invalid setting value was passed.", 400) from None
        if "enabled" in body:
            values["enabled"] = "yes" if _rest_boolean(body["enabled"]) else "no"
        title = None
        if body.get("title") is not None:
            values["title"] = str(body["title"])
            title = values["title"]
        if body.get("description") is not None:
            values["description"] = str(body["description"])
        altered = state.faults.get("alter_on_save")
        if altered and altered in values and isinstance(values[altered], str):
            values[altered] = values[altered] + "-altered"  # a "security plugin" changing a value on the way in
        state.save_gateway_settings(gateway_id, values)
        if body.get("order") is not None:
            state.options.setdefault("woocommerce_gateway_order", {})[gateway_id] = body["order"]
    # WooCommerce replies with the object it loaded before the update: a changed settings.title stays stale on top.
    return _gateway_item(call, gateway_id, settings=values, title=title if title is not None else before.get("title"))


# -- routing ------------------------------------------------------------------------------------------------------

Handler = Callable[[Call], Any]
_UUID = r"(?P<uuid>[0-9a-fA-F-]{36})"
ROUTES: list[tuple[re.Pattern[str], frozenset[str], Handler, bool]] = []  # pattern, methods, handler, needs WC


def _route(pattern: str, methods: str, handler: Handler, *, wc: bool = False) -> None:
    ROUTES.append((re.compile(pattern), frozenset(methods.split()), handler, wc))


_route(r"/", "GET", index)
_route(r"/wp/v2/users/me", "GET", users_me)
_route(r"/wp/v2/users/me/application-passwords", "GET", app_passwords_list)
_route(r"/wp/v2/users/me/application-passwords", "POST", app_passwords_create)
_route(r"/wp/v2/users/me/application-passwords", "DELETE", app_passwords_delete_all)
_route(r"/wp/v2/users/me/application-passwords/introspect", "GET", app_password_introspect)
_route(rf"/wp/v2/users/me/application-passwords/{_UUID}", "GET DELETE", app_password_item)
_route(r"/wc/v[23]/payment_gateways", "GET", gateways_list, wc=True)
_route(r"/wc/v[23]/payment_gateways/(?P<id>[\w-]+)", "GET", gateway_get, wc=True)
_route(r"/wc/v[23]/payment_gateways/(?P<id>[\w-]+)", "POST PUT PATCH", gateway_update, wc=True)


def _json(data: Any, status: int) -> Response:
    return Response(json.dumps(data), status=status, content_type=JSON_TYPE)


def serve(state: ShopState, route: str, base: str) -> Response:
    """Answer one REST request for ``route`` (``/`` is the index)."""
    route = "/" + route.strip("/") if route.strip("/") else "/"
    if state.faults.get("waf_challenge"):
        page = (
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
        )
        return Response(
            page,
            status=403,
            content_type="text/html; charset=UTF-8",
            headers={"cf-mitigated": "challenge", "Server": "cloudflare"},
        )
    method = request.method
    if method == "PUT" and state.faults.get("block_put"):
        page = "<html><head><title>501 Method Not Implemented</title></head><body><h1>Method Not Implemented</h1>"
        return Response(page, status=501, content_type="text/html")
    if method == "POST":
        override = request.headers.get("X-HTTP-Method-Override") or request.args.get("_method")
        if override:
            method = override.upper()
    params: dict[str, Any] = {k: v for k, v in request.args.items() if k != "rest_route"}
    try:
        user, item = authenticate(state, route)
        body: dict[str, Any] = {}
        if method in ("POST", "PUT", "PATCH") and request.get_data():
            if "json" in (request.content_type or ""):
                try:
                    parsed = json.loads(request.get_data(as_text=True))
                except ValueError:
                    raise RestError("rest_invalid_json", "Invalid JSON body passed.", 400) from None
                if not isinstance(parsed, dict):
                    raise RestError("rest_invalid_json", "Invalid JSON body passed.", 400)
                body = parsed
            else:
                body = dict(request.form)
        for pattern, methods, handler, needs_wc in ROUTES:
            match = pattern.fullmatch(route)
            if match is None or method not in methods or (needs_wc and not state.woocommerce_active):
                continue
            call = Call(state, method, route, match, params, body, user, item, base)
            result = handler(call)
            status, data = result if isinstance(result, tuple) else (200, result)
            fields = params.get("_fields")
            if fields:
                data = filter_fields(data, str(fields))
            return _json(data, status)
        raise RestError("rest_no_route", "No route was found matching the URL and request method.", 404)
    except RestError as exc:
        return _json(exc.body(), exc.status)
