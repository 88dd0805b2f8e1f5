"""The Flask application factory for the sandbox shop.

``create_app(state, mode=..., portal_url=...)`` builds one shop: the front page (``Link`` header for REST
discovery), the REST API under ``/wp-json/`` (pretty permalinks) and ``?rest_route=`` (always; the only way with plain
permalinks, where ``/wp-json/`` is just the front page), ``wp-login.php``, ``wp-admin/``,
``wp-admin/authorize-application.php``, ``wp-admin/profile.php`` (application passwords) and ``wp-admin/admin.php?
page=wc-settings`` (the payment gateways' settings, read-only), and, only in ``test``/``demo`` mode, the ``/__sim/``
control surface (``control.py``) and, given the sandbox portal's ``portal_url``, the readable ``/sandbox/`` pages
(the portal's SMS inbox and captcha, ``inbox.py``), given the mock Daraja's ``daraja_url`` the M-PESA plugin
stand-in's Transaction Status query (``daraja.py``, started from ``/__sim/``); in ``shop`` mode every ``/__sim/``
and ``/sandbox/`` path is a 404.
Serve it on its own loopback port (e.g. next to the sandbox portal).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue

from agent.sandbox.shop.daraja import Results
from agent.sandbox.shop.state import ShopState

Mode = Literal["shop", "test", "demo"]
MODES: tuple[Mode, ...] = ("shop", "test", "demo")
_EXTENSION = "mpesa_sandbox_shop"
REST_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclasses.dataclass
class Shop:
    """What a running shop app holds."""

    state: ShopState
    mode: Mode
    portal_url: str | None = None  # the sandbox portal whose SMS and captcha the /sandbox/ pages show
    daraja_url: str | None = None  # the sandbox's mock Daraja the plugin stand-in queries (daraja.py)
    results: Results = dataclasses.field(default_factory=Results)

    @property
    def control_enabled(self) -> bool:
        return self.mode in ("test", "demo")


def shop() -> Shop:
    """The shop of the app handling the current request."""
    found: Shop = current_app.extensions[_EXTENSION]
    return found


def create_app(
    state: ShopState | None = None,
    *,
    mode: Mode = "shop",
    portal_url: str | None = None,
    daraja_url: str | None = None,
) -> Flask:
    """A sandbox shop app (seeded with ``shopadmin`` and ``clerk`` unless ``state`` is given); ``daraja_url`` is the
    mock Daraja its M-PESA plugin stand-in sends Transaction Status queries to."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    app.json.sort_keys = False  # type: ignore[attr-defined]  # WordPress keeps the settings' order
    box = Shop(
        state=state or ShopState.seeded(),
        mode=mode,
        portal_url=portal_url.rstrip("/") if portal_url else None,
        daraja_url=daraja_url.rstrip("/") if daraja_url else None,
    )
    app.extensions[_EXTENSION] = box

    from agent.sandbox.shop import pages, rest

    def base() -> str:
        return request.host_url

    @app.route("/", methods=REST_METHODS)
    @app.route("/index.php", methods=REST_METHODS)
    def front() -> ResponseReturnValue:
        route = request.args.get("rest_route")
        if route is not None:
            return rest.serve(box.state, route, base())
        return pages.front_page(box.state, base())

    @app.route("/wp-json", methods=REST_METHODS)
    @app.route("/wp-json/", methods=REST_METHODS)
    @app.route("/wp-json/<path:route>", methods=REST_METHODS)
    def wp_json(route: str = "") -> ResponseReturnValue:
        if box.state.permalinks == "plain":  # no rewrite rules: WordPress shows the front page
            return pages.front_page(box.state, base())
        return rest.serve(box.state, route, base())

    @app.route("/wp-login.php", methods=["GET", "POST"])
    def wp_login() -> ResponseReturnValue:
        return pages.login(box.state, base())

    @app.get("/wp-admin/")
    def wp_admin() -> ResponseReturnValue:
        return pages.dashboard(box.state, base())

    @app.route("/wp-admin/authorize-application.php", methods=["GET", "POST"])
    def authorize_application() -> ResponseReturnValue:
        return pages.authorize_application(box.state, base())

    @app.route("/wp-admin/profile.php", methods=["GET", "POST"])
    def wp_profile() -> ResponseReturnValue:
        return pages.profile(box.state, base())

    @app.get("/wp-admin/admin.php")
    def wp_admin_page() -> ResponseReturnValue:
        return pages.wc_settings(box.state, base())

    if box.control_enabled:
        from agent.sandbox.shop import control

        app.register_blueprint(control.blueprint)
        if box.portal_url:
            from agent.sandbox.shop import inbox

            app.register_blueprint(inbox.blueprint)
    return app
