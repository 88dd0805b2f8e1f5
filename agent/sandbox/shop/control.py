"""The sandbox shop's test/demo control surface: JSON under ``/__sim/``, only in ``test``/``demo`` mode.

Product code never calls it; tests and the demo do. Errors are ``{"error": "..."}`` with HTTP 400/404.

``GET /__sim/ping``                      ``{"sandbox": true, "kind": "shop", "mode": ..., "api_root": URL}``
``GET /__sim/state``                     users, their application passwords (no values), settings, faults
``POST /__sim/reset``                    body ``{}`` or ``{"admin_password": "..."}``: a fresh seeded shop
``GET /__sim/users``                     ``[{"login", "email", "role", "login_password"}]`` (for wp-login in tests)
``POST /__sim/app-password``             body ``{"user": "shopadmin", "name": "demo"}`` → ``{"user", "password",
                                         "uuid"}``: how the demo gets an application password without a browser
``POST /__sim/settings``                 any of ``environment_type`` (local/development/staging/production),
                                         ``https`` (bool), ``permalinks`` (pretty/plain), ``auth_error_style``
                                         (precise/not_logged_in), ``plugin`` (osen/davisonpro/none),
                                         ``woocommerce_active`` (bool), ``name`` → the state
``POST /__sim/fault``                    ``{"kind": "strip_authorization"|"block_put"|"waf_challenge"|
                                         "disable_app_passwords"}``, ``{"kind": "alter_on_save", "key": "password"}``
                                         or ``{"kind": "clear"}`` → ``{"faults": {...}}``
``POST /__sim/transaction-status``      body ``{"transaction_id": "NEF61H8J60", "wait_seconds": 20}``: the M-PESA
                                         plugin stand-in queries the mock Daraja with its stored settings and
                                         waits for the result → ``{"acceptance", "result"}`` (``result`` null when
                                         none came in time); 409 without a mock Daraja, 502 when Daraja refused
``POST /__sim/daraja/result/<id>``       where the mock Daraja POSTs that result (the query's ResultURL)
``GET|POST /__sim/gateway/<id>``         the raw stored option (fake secrets included) ``{"saved", "values"}``;
                                         POST ``{"values": {...}}`` stores it as is (a pre-configured shop), or
                                         ``{"values": null}`` forgets it (never saved)
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from agent.sandbox.shop import daraja, gateways
from agent.sandbox.shop.app import shop
from agent.sandbox.shop.pages import api_root_url
from agent.sandbox.shop.state import FAULTS, ShopState

blueprint = Blueprint("shop_sim_control", __name__, url_prefix="/__sim")

_SETTINGS: dict[str, tuple[type, tuple[Any, ...] | None]] = {
    "environment_type": (str, ("local", "development", "staging", "production")),
    "https": (bool, None),
    "permalinks": (str, ("pretty", "plain")),
    "auth_error_style": (str, ("precise", "not_logged_in")),
    "plugin": (str, gateways.PLUGINS),
    "woocommerce_active": (bool, None),
    "name": (str, None),
}


def _error(message: str, status: int = 400) -> ResponseReturnValue:
    return jsonify({"error": message}), status


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@blueprint.get("/ping")
def ping() -> ResponseReturnValue:
    box = shop()
    return jsonify(
        {"sandbox": True, "kind": "shop", "mode": box.mode, "api_root": api_root_url(box.state, request.host_url)}
    )


@blueprint.get("/state")
def state() -> ResponseReturnValue:
    return jsonify(shop().state.snapshot())


@blueprint.post("/reset")
def reset() -> ResponseReturnValue:
    box = shop()
    password = _body().get("admin_password")
    if password is not None and not isinstance(password, str):
        return _error("admin_password must be a string")
    box.state = ShopState.seeded(admin_password=password)
    return jsonify(box.state.snapshot())


@blueprint.get("/users")
def users() -> ResponseReturnValue:
    st = shop().state
    with st.lock:
        listed = [
            {"login": u.login, "email": u.email, "role": u.role, "login_password": u.login_password}
            for u in st.users.values()
        ]
    return jsonify(listed)


@blueprint.post("/app-password")
def app_password() -> ResponseReturnValue:
    body = _body()
    st = shop().state
    user = st.find_user(str(body.get("user", "")))
    if user is None:
        return _error("no such user", 404)
    name = str(body.get("name") or "mpesa-agent demo")
    with st.lock:
        if any(item.name == name for item in user.app_passwords):
            return _error("an application password with that name exists", 409)
        password, item = st.create_app_password(user, name, str(body.get("app_id") or ""))
    return jsonify({"user": user.login, "password": password, "uuid": item.uuid}), 201


@blueprint.post("/settings")
def settings() -> ResponseReturnValue:
    st = shop().state
    body = _body()
    with st.lock:
        for key, value in body.items():
            if key not in _SETTINGS:
                return _error(f"unknown setting {key}")
            kind, allowed = _SETTINGS[key]
            if not isinstance(value, kind) or (allowed is not None and value not in allowed):
                return _error(f"invalid value for {key}")
        for key, value in body.items():
            setattr(st, key, value)
    return jsonify(st.snapshot())


@blueprint.post("/fault")
def fault() -> ResponseReturnValue:
    st = shop().state
    body = _body()
    kind = body.get("kind")
    with st.lock:
        if kind == "clear":
            st.faults.clear()
        elif kind == "alter_on_save":
            if not isinstance(body.get("key"), str):
                return _error("alter_on_save needs a key")
            st.faults["alter_on_save"] = body["key"]
        elif kind in FAULTS:
            st.faults[str(kind)] = True
        else:
            return _error(f"unknown fault {kind}")
        return jsonify({"faults": dict(st.faults)})


@blueprint.route("/gateway/<gateway_id>", methods=["GET", "POST"])
def gateway(gateway_id: str) -> ResponseReturnValue:
    st = shop().state
    if gateway_id not in st.gateway_table():
        return _error("no such gateway", 404)
    if request.method == "POST":
        values = _body().get("values", {})
        with st.lock:
            if values is None:
                st.options.pop(f"woocommerce_{gateway_id}_settings", None)
            elif isinstance(values, dict):
                current, _saved = st.gateway_settings(gateway_id)
                st.save_gateway_settings(gateway_id, {**current, **values})
            else:
                return _error("values must be an object or null")
    values, saved = st.gateway_settings(gateway_id)
    return jsonify({"saved": saved, "values": values})


@blueprint.post("/transaction-status")
def transaction_status() -> ResponseReturnValue:
    box = shop()
    if not box.daraja_url:
        return _error("this shop has no mock Daraja (start it with the sandbox runner)", 409)
    body = _body()
    receipt = str(body.get("transaction_id") or "NEF61H8J60")
    wait = body.get("wait_seconds", 20)
    if isinstance(wait, bool) or not isinstance(wait, int | float) or not 0 < wait <= 60:
        return _error("wait_seconds must be a number in (0, 60]")
    values, _saved = box.state.gateway_settings("mpesa")
    result_id = box.results.new_id()
    base = request.host_url.rstrip("/") + "/__sim/daraja"
    try:
        acceptance = daraja.transaction_status(
            values,
            daraja_url=box.daraja_url,
            result_url=f"{base}/result/{result_id}",
            timeout_url=f"{base}/timeout/{result_id}",
            transaction_id=receipt,
        )
    except daraja.QueryFailed as exc:
        return _error(str(exc), 502)
    result = box.results.wait_for(result_id, timeout=float(wait))
    return jsonify({"acceptance": acceptance, "result": result})


@blueprint.post("/daraja/<kind>/<result_id>")
def daraja_result(kind: str, result_id: str) -> ResponseReturnValue:
    if kind not in ("result", "timeout"):
        return _error("no such callback", 404)
    shop().results.accept(result_id, request.get_json(silent=True))
    return jsonify({"ResultCode": 0, "ResultDesc": "Accepted"})
