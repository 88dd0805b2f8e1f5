"""Run the sandbox portal on loopback with werkzeug's threaded WSGI server.

``start_sandbox()`` serves it from a background thread and returns a ``RunningSandbox`` (``.url``, ``.state``,
``.control``, ``.stop()``; a context manager). The state lives in this process, so an agent *process* pointed at
``.url`` can be killed and restarted against the same state. ``serve_forever()`` is the blocking form for
``mpesa-agent sandbox``: it prints nothing itself; ``on_ready`` gets the running sandbox (to show its URL).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, make_server

from agent.sandbox.portal.app import Mode, create_app, sandbox_of
from agent.sandbox.portal.markup import Markup
from agent.sandbox.portal.state import PortalState

if TYPE_CHECKING:
    from flask import Flask

    from agent.sandbox.portal.client import SandboxControl

LOOPBACK = "127.0.0.1"


class RunningSandbox:
    """A sandbox portal being served. ``url`` has no trailing slash; the login page is ``url + "/orglogin.action"``."""

    def __init__(self, server: BaseWSGIServer, app: Flask, state: PortalState) -> None:
        self._server = server
        self.app = app
        self.state = state
        self.host = LOOPBACK
        self.port: int = server.server_port
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox-portal-{self.port}", daemon=True
        )
        self._stopped = False

    @property
    def login_url(self) -> str:
        return self.url + "/orglogin.action"

    @functools.cached_property
    def control(self) -> SandboxControl:
        """A control-surface client for this sandbox (test/demo mode only); one per running sandbox."""
        from agent.sandbox.portal.client import SandboxControl

        return SandboxControl(self.url)

    def _start(self) -> RunningSandbox:
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the server stops (``stop()`` from another thread, or a signal in the main thread)."""
        self._thread.join()

    def stop(self) -> None:
        """Stop serving and free the port (idempotent). Injected latency waits end at once."""
        if self._stopped:
            return
        self._stopped = True
        sandbox_of(self.app).stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        if "control" in self.__dict__:
            self.control.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_sandbox(
    *,
    port: int = 0,
    mode: Mode = "test",
    skin: str = "classic",
    state: PortalState | None = None,
    host: str = LOOPBACK,
    markup: str | Markup = "default",
) -> RunningSandbox:
    """Serve a sandbox portal on ``host:port`` (port 0 = a free port) from a daemon thread; returns at once.

    ``mode`` "test"/"demo" enables the ``/__sim/`` control surface, "portal" leaves it out. Pass ``state`` to serve
    an existing ``PortalState`` (e.g. after ``stop()``, to restart on the same state). Only loopback is allowed.
    ``markup`` (e.g. "grid-div,confirm" or "hard"; see ``markup.py``) chooses how the pages are built.
    """
    if host not in (LOOPBACK, "localhost"):
        raise ValueError("the sandbox portal only listens on loopback (127.0.0.1)")
    state = state or PortalState()
    app = create_app(state, mode=mode, skin=skin, markup=markup)
    server = make_server(LOOPBACK, port, app, threaded=True)
    return RunningSandbox(server, app, state)._start()


def serve_forever(
    *,
    port: int = 0,
    mode: Mode = "demo",
    skin: str = "classic",
    state: PortalState | None = None,
    on_ready: Callable[[RunningSandbox], None] | None = None,
    markup: str | Markup = "default",
) -> None:
    """Serve until interrupted (Ctrl-C raises KeyboardInterrupt in the caller's thread); then stop cleanly."""
    running = start_sandbox(port=port, mode=mode, skin=skin, state=state, markup=markup)
    try:
        if on_ready is not None:
            on_ready(running)
        running.wait()
    finally:
        running.stop()
