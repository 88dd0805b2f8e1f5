"""The sandbox's test/demo control surface: JSON under ``/__sim/``, never linked from portal pages.

It exists only when the app is created in ``test`` or ``demo`` mode (otherwise every ``/__sim/`` path is a 404).
Product code must never call it; tests and the demo do, through ``client.SandboxControl``.

Endpoints (all JSON; errors are ``{"error": "..."}`` with HTTP 400/404):

``GET /__sim/ping``
    ``{"sandbox": true, "ui": "classic", "mode": "test", "now": ISO, "shortcodes": ["600000"]}``
``GET /__sim/sms?msisdn=2547...&kind=LOGIN_OTP&after=ID&wait=SECONDS``
    ``{"msisdn": ..., "messages": [{"id", "ts", "sender": "MPESA", "msisdn", "text", "kind"}, ...]}``, oldest
    first. ``kind`` filters (LOGIN_OTP, WEB_OPERATOR_CREATED, PASSWORD_RESET, OPERATOR_MESSAGE); ``after`` keeps
    ids greater than it; ``wait`` (≤ 30 s) waits until at least one message matches. Without ``msisdn``: all SMS.
``GET /__sim/email?address=...`` (same parameters)
    the e-mail outbox, for operators whose Preferred Notification Channel is Email.
``GET /__sim/captcha?session=JSESSIONID&after=SEQ&wait=SECONDS``
    ``{"code": "4092", "session": ..., "seq": 7, "issued_at": ISO}``: the code the session's image shows now.
    Without ``session``: the most recently issued code of any session (fine with one browser). Every captcha image
    request issues a new code with a higher ``seq``; ``after``+``wait`` waits for a code newer than ``after``.
    404 when there is none (the image was not loaded yet, or the code was used by a login attempt).
``POST /__sim/reset``  body ``{}`` or ``{"seed": false}``
    wipe organisations, outbox, sessions, faults, clock and settings; re-seed the default (unless seed is false).
``POST /__sim/seed``  body: see ``seed.py`` → ``{"shortcode", "org_name", "operators": [{"username",
    "identity_id", "status", "password"}]}``
``GET|POST /__sim/clock``  body ``{"seconds": N}`` and/or ``{"days": N}`` (forward only)
    → ``{"now": ISO, "offset_seconds": N}``. Dormancy is applied at once.
``GET /__sim/state``
    ``{"now", "clock_offset_seconds", "settings", "faults", "sessions": [...], "orgs": [{"shortcode", "name",
    "trust_level", "operators": [...]}]}`` (no passwords, only ``has_password``/``password_set_at``).
``GET|POST /__sim/settings``  body: any of ``lockout_threshold``, ``otp_ttl_seconds``, ``otp_max_tries``,
    ``captcha_ttl_seconds``, ``session_idle_seconds``, ``dormancy_days``, ``password_max_age_days``,
    ``temp_password_ttl_hours`` (positive integers), ``fixed_captcha`` ("dddd" or null), ``fixed_otp``
    ("dddddd" or null) → the settings in effect.
``GET|POST /__sim/markup``  body ``{"markup": "grid-div,confirm"}`` (or a preset: "default", "hard")
    → ``{"markup": SPEC, "axes": [...], "valid": [axes of this skin]}``: how the pages are built from the next
    request on (``markup.py``; kept across ``/__sim/reset``). An axis the skin does not render is a 400 naming it.
``GET|POST /__sim/fault``  → ``{"faults": [...]}``. Bodies:
    ``{"kind": "latency", "path": "/browseOrg/", "seconds": 1.5, "times": 2}`` (path prefix, ``*`` = all pages;
    times omitted = until cleared);
    ``{"kind": "error_after_commit", "path": "/operator/", "times": 1}`` (commit, then HTTP 500);
    ``{"kind": "drop_after_commit", "path": "*", "times": 1}`` (commit, then close the connection, no reply);
    ``{"kind": "expire_sessions", "session": "JSESSIONID"}`` (omit session = all; acts at once);
    ``{"kind": "rename_label", "old": "Operators", "new": "Operator List"}``;
    ``{"kind": "clear"}`` (remove every fault).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from agent.sandbox.portal.app import sandbox
from agent.sandbox.portal.clock import iso
from agent.sandbox.portal.faults import FaultSpecError, parse_fault
from agent.sandbox.portal.markup import MARKUP_MODES, parse_markup
from agent.sandbox.portal.seed import SeedError, apply_seed

blueprint = Blueprint("sim_control", __name__, url_prefix="/__sim")
MAX_WAIT = 30.0


def _error(message: str, status: int = 400) -> ResponseReturnValue:
    return jsonify({"error": message}), status


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.data else {}
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _number(name: str, default: float = 0.0) -> float:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    return float(raw)


@blueprint.errorhandler(ValueError)
def _bad_request(exc: ValueError) -> ResponseReturnValue:
    return _error(str(exc))


@blueprint.get("/ping")
def ping() -> ResponseReturnValue:
    box = sandbox()
    with box.state.lock:
        return jsonify(
            {
                "sandbox": True,
                "ui": box.skin,
                "mode": box.mode,
                "now": iso(box.state.now()),
                "shortcodes": list(box.state.orgs),
            }
        )


def _outbox(channel: str, key: str) -> ResponseReturnValue:
    state = sandbox().state
    to = request.args.get(key) or None
    kind = request.args.get("kind") or None
    after = int(_number("after"))
    wait = min(max(_number("wait"), 0.0), MAX_WAIT)
    if wait:
        state.wait_for(lambda: bool(state.messages(channel=channel, to=to, kind=kind, after=after)), wait)
    found = state.messages(channel=channel, to=to, kind=kind, after=after)
    return jsonify({key: to, "messages": [m.as_json() for m in found]})


@blueprint.get("/sms")
def sms() -> ResponseReturnValue:
    return _outbox("sms", "msisdn")


@blueprint.get("/email")
def email() -> ResponseReturnValue:
    return _outbox("email", "address")


@blueprint.get("/captcha")
def captcha() -> ResponseReturnValue:
    state = sandbox().state
    sid = request.args.get("session") or None
    after = int(_number("after"))
    wait = min(max(_number("wait"), 0.0), MAX_WAIT)

    def ready() -> bool:
        record = state.current_captcha(sid)
        return record is not None and record.seq > after

    if wait:
        state.wait_for(ready, wait)
    record = state.current_captcha(sid)
    if record is None or record.seq <= after:
        return _error("no verification code has been issued (load the login page's image first)", 404)
    return jsonify(
        {"code": record.code, "session": record.session_id, "seq": record.seq, "issued_at": iso(record.issued_at)}
    )


@blueprint.post("/reset")
def reset() -> ResponseReturnValue:
    body = _body()
    sandbox().state.reset(seed=bool(body.get("seed", True)))
    return jsonify({"reset": True})


@blueprint.post("/seed")
def seed() -> ResponseReturnValue:
    try:
        return jsonify(apply_seed(sandbox().state, _body()))
    except SeedError as exc:
        return _error(str(exc))


@blueprint.route("/clock", methods=["GET", "POST"])
def clock() -> ResponseReturnValue:
    state = sandbox().state
    if request.method == "POST":
        body = _body()
        seconds = body.get("seconds", 0)
        days = body.get("days", 0)
        if any(not isinstance(v, int | float) or isinstance(v, bool) or v < 0 for v in (seconds, days)):
            return _error("seconds and days must be non-negative numbers")
        state.advance_clock(float(seconds) + float(days) * 86_400)
    with state.lock:
        return jsonify({"now": iso(state.now()), "offset_seconds": state.clock.offset_seconds})


@blueprint.get("/state")
def state_view() -> ResponseReturnValue:
    return jsonify(sandbox().state.snapshot())


@blueprint.route("/settings", methods=["GET", "POST"])
def settings() -> ResponseReturnValue:
    state = sandbox().state
    with state.lock:
        if request.method == "POST":
            state.settings.update(_body())
        return jsonify(state.snapshot()["settings"])


@blueprint.route("/fault", methods=["GET", "POST"])
def fault() -> ResponseReturnValue:
    state = sandbox().state
    with state.lock:
        if request.method == "POST":
            body = _body()
            kind = body.get("kind")
            if kind == "clear":
                state.faults.clear()
            elif kind == "expire_sessions":
                sid = body.get("session")
                if sid is not None and not isinstance(sid, str):
                    return _error("session must be a string")
                expired = state.expire_sessions(sid)
                return jsonify({"faults": state.faults.as_json(), "expired_sessions": expired})
            else:
                try:
                    state.faults.add(parse_fault(body))
                except FaultSpecError as exc:
                    return _error(str(exc))
        return jsonify({"faults": state.faults.as_json()})


@blueprint.route("/markup", methods=["GET", "POST"])
def markup() -> ResponseReturnValue:
    box = sandbox()
    if request.method == "POST":
        spec = _body().get("markup")
        if not isinstance(spec, str):
            return _error('the body must be {"markup": "axis,axis"} (or "default", "hard")')
        box.markup = parse_markup(spec, skin=box.skin)  # ValueError → 400 naming the axis
    return jsonify({"markup": box.markup.spec, "axes": list(box.markup.axes), "valid": list(MARKUP_MODES[box.skin])})
