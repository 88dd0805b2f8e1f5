"""The Flask application factory for the sandbox portal, and the plumbing every skin shares.

``create_app(state, mode=..., skin=...)`` builds one portal: the skin's blueprint (``classic``, or ``current``
in ``current.py``; both on the same ``PortalState``), the ``JSESSIONID`` session cookie, fault injection (latency
before a page, 500/dropped response after a committed POST, renamed labels) and, only in ``test``/``demo`` mode, the
``/__sim/`` control surface (``control.py``). In ``portal`` mode ``/__sim/...`` does not exist (404).

Skins use ``sandbox()`` to reach the state, ``portal_session()`` for the browser's session and ``committed()`` to
mark a request that changed the state (what the after-commit faults act on).
"""

from __future__ import annotations

import dataclasses
import socket
import threading
from typing import Literal

from flask import Flask, Response, current_app, g, request

from agent.sandbox.portal.faults import DROP_AFTER_COMMIT, ERROR_AFTER_COMMIT, apply_renames
from agent.sandbox.portal.markup import Markup, as_markup, rewrite_buttons
from agent.sandbox.portal.state import PortalSession, PortalState

Mode = Literal["portal", "test", "demo"]
MODES: tuple[Mode, ...] = ("portal", "test", "demo")
SKINS = ("classic", "current")
COOKIE = "JSESSIONID"
_EXTENSION = "mpesa_sandbox_portal"

ERROR_PAGE = (
    "<!DOCTYPE html><html lang='en'><head><title>Error</title></head><body>"
    "<h1>HTTP Status 500 – Internal Server Error</h1><p>System error. Please try again later.</p></body></html>"
)


@dataclasses.dataclass
class Sandbox:
    """What a running portal app holds: its state, mode, skin, markup, and an event that ends injected waits.

    ``markup`` may be switched while serving (``/__sim/markup``); pages read it per request.
    """

    state: PortalState
    mode: Mode
    skin: str
    stopping: threading.Event
    markup: Markup = dataclasses.field(default_factory=Markup)

    @property
    def control_enabled(self) -> bool:
        return self.mode in ("test", "demo")


def sandbox() -> Sandbox:
    """The sandbox of the app handling the current request."""
    found: Sandbox = current_app.extensions[_EXTENSION]
    return found


def sandbox_of(app: Flask) -> Sandbox:
    """The sandbox of a portal app made by ``create_app``."""
    found: Sandbox = app.extensions[_EXTENSION]
    return found


def portal_session() -> PortalSession:
    """The browser's portal session (made on first use; the cookie is set on the response)."""
    session: PortalSession | None = g.get("portal_session")
    if session is None:
        session, expired = sandbox().state.open_session(request.cookies.get(COOKIE))
        g.portal_session = session
        g.session_expired = expired
    return session


def session_expired() -> bool:
    """Whether this request came with a session that had expired (idle timeout or the expire_sessions fault)."""
    portal_session()
    return bool(g.get("session_expired", False))


def committed() -> None:
    """Mark this request as one that committed a change (the after-commit faults act on it)."""
    g.committed = True


def _is_portal_path(path: str) -> bool:
    return not (path.startswith("/__sim/") or path.startswith("/static/"))


def create_app(
    state: PortalState | None = None, *, mode: Mode = "portal", skin: str = "classic", markup: str | Markup = "default"
) -> Flask:
    """A sandbox portal app. ``mode`` ``test``/``demo`` enables ``/__sim/``; ``portal`` leaves it out (404).

    ``markup`` (a spec for ``markup.parse_markup`` or a ``Markup``) chooses how the pages are built.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if skin not in SKINS:
        raise ValueError(f"skin must be one of {', '.join(SKINS)}")
    chosen = as_markup(markup, skin)
    app = Flask(__name__, static_folder="static", static_url_path="/static", template_folder="templates")
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600  # the skin's CSS/JS: no revalidation on every frame load
    box = Sandbox(state=state or PortalState(), mode=mode, skin=skin, stopping=threading.Event(), markup=chosen)
    app.extensions[_EXTENSION] = box

    @app.context_processor
    def _markup() -> dict[str, Markup]:
        return {"markup": box.markup}

    app.jinja_env.globals["sandbox_markup"] = lambda: box.markup  # for macros imported without context

    @app.before_request
    def _inject_latency() -> None:
        if _is_portal_path(request.path):
            with box.state.lock:
                delay = box.state.faults.latency_for(request.path)
            if delay > 0:
                box.stopping.wait(delay)

    @app.after_request
    def _finish(response: Response) -> Response:
        if not _is_portal_path(request.path):
            return response
        session: PortalSession | None = g.get("portal_session")
        if session is not None and request.cookies.get(COOKIE) != session.sid:
            response.set_cookie(COOKIE, session.sid, httponly=True, samesite="Lax", path="/")
        response.headers["Cache-Control"] = "no-store"
        if request.method == "POST" and g.get("committed"):
            with box.state.lock:
                fault = box.state.faults.take_commit_fault(request.path)
            if fault == ERROR_AFTER_COMMIT:
                return Response(ERROR_PAGE, status=500, mimetype="text/html")
            if fault == DROP_AFTER_COMMIT:
                _drop_connection()
        if response.mimetype == "text/html" and not response.direct_passthrough:
            with box.state.lock:
                renames = box.state.faults.renames()
            if renames:
                response.set_data(apply_renames(response.get_data(as_text=True), renames))
            if box.markup.buttons != "button":
                response.set_data(rewrite_buttons(response.get_data(as_text=True), box.markup.buttons))
        return response

    if skin == "current":
        from agent.sandbox.portal import current

        app.register_blueprint(current.blueprint)
    else:
        from agent.sandbox.portal import classic

        app.register_blueprint(classic.blueprint)
    if box.control_enabled:
        from agent.sandbox.portal import control

        app.register_blueprint(control.blueprint)
    return app


def _drop_connection() -> None:
    """Close the client connection without a reply (the change is already committed)."""
    sock = request.environ.get("werkzeug.socket")
    if not isinstance(sock, socket.socket):
        raise ConnectionAbortedError("drop_after_commit needs the real server (werkzeug.socket is missing)")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    # Werkzeug's write then fails and it treats the request as a dropped connection.
