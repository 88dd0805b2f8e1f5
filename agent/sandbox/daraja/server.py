"""Run the mock Daraja on loopback with werkzeug's threaded WSGI server (like the sandbox portal's ``server``).

``start_daraja()`` serves it from a daemon thread and returns a ``RunningDaraja`` (``.url``, ``.state``,
``.certificate_pem()``, ``.stop()``; a context manager). Give it a sandbox ``PortalState`` and initiators are
checked against that portal's operators; or pass any ``verify_initiator`` callable.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, make_server

from agent.sandbox.daraja.app import Mode, create_app, daraja_of
from agent.sandbox.daraja.state import App, DarajaState, VerifyInitiator

if TYPE_CHECKING:
    from flask import Flask

    from agent.sandbox.portal.state import PortalState

LOOPBACK = "127.0.0.1"


class RunningDaraja:
    """A mock Daraja being served. ``url`` has no trailing slash (use it as the client's ``base_url``)."""

    def __init__(self, server: BaseWSGIServer, app: Flask, state: DarajaState) -> None:
        self._server = server
        self.app = app
        self.state = state
        self.port: int = server.server_port
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"mock-daraja-{self.port}", daemon=True
        )
        self._stopped = False

    @property
    def environment(self) -> str:
        return self.state.environment

    def certificate_pem(self, environment: str | None = None) -> bytes:
        """The public certificate (PEM) to encrypt initiator passwords with (this mock's environment by default)."""
        return self.state.keys[environment or self.state.environment].certificate_pem

    def certificate_url(self, environment: str | None = None) -> str:
        name = "Production" if (environment or self.state.environment) == "production" else "Sandbox"
        return f"{self.url}/certificates/{name}Certificate.cer"

    def _start(self) -> RunningDaraja:
        self._thread.start()
        return self

    def wait(self) -> None:
        self._thread.join()

    def stop(self) -> None:
        """Stop serving, end pending callbacks, free the port (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        daraja_of(self.app).stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningDaraja:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_daraja(
    *,
    port: int = 0,
    mode: Mode = "test",
    environment: str = "sandbox",
    portal_state: PortalState | None = None,
    verify_initiator: VerifyInitiator | None = None,
    apps: Iterable[App] | None = None,
    tills: dict[str, str] | None = None,
    state: DarajaState | None = None,
    host: str = LOOPBACK,
) -> RunningDaraja:
    """Serve a mock Daraja on ``host:port`` (port 0 = a free port) from a daemon thread; returns at once.

    Initiators are checked by ``verify_initiator``, else against ``portal_state``'s operators (else every initiator
    gets 2001). ``apps`` replaces the default registered app (``agent.sandbox.daraja.CONSUMER_KEY``/``_SECRET``).
    Pass ``state`` to serve an existing ``DarajaState``. Only loopback is allowed.
    """
    if host not in (LOOPBACK, "localhost"):
        raise ValueError("the mock Daraja only listens on loopback (127.0.0.1)")
    if verify_initiator is None and portal_state is not None:
        from agent.sandbox.daraja.portal_adapter import portal_verifier

        verify_initiator = portal_verifier(portal_state)
    if state is None:
        state = DarajaState(environment=environment, verify_initiator=verify_initiator, apps=apps, tills=tills)
    elif verify_initiator is not None:
        state.verify_initiator = verify_initiator
    app = create_app(state, mode=mode)
    server = make_server(LOOPBACK, port, app, threaded=True)
    return RunningDaraja(server, app, state)._start()
