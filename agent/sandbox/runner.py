"""Run the whole sandbox: the portal and the shop, each on its own loopback port, in background threads.

``start(ui=..., mode=...)`` returns a ``Sandbox`` (``portal_url``, ``shop_url``, ``admin`` facts, ``stop()``; a
context manager) used by ``mpesa-agent sandbox``, ``mpesa-agent demo`` and the tests.
"""

from __future__ import annotations

import dataclasses
import threading
from types import TracebackType
from typing import Any, Literal

from werkzeug.serving import BaseWSGIServer, make_server

from agent.sandbox.portal import ADMIN_MSISDN, ADMIN_PASSWORD, ADMIN_USERNAME, SHORTCODE
from agent.sandbox.portal.server import RunningSandbox, start_sandbox
from agent.sandbox.shop.app import create_app as create_shop_app

LOOPBACK = "127.0.0.1"
__all__ = ["ADMIN_MSISDN", "ADMIN_PASSWORD", "ADMIN_USERNAME", "SANDBOX_SHOP_USER", "SHORTCODE", "Sandbox", "start"]
Mode = Literal["test", "demo"]

SANDBOX_SHOP_USER = "shopadmin"


@dataclasses.dataclass
class RunningShop:
    server: BaseWSGIServer
    app: Any
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def start_shop(*, port: int = 0, mode: Mode = "demo") -> RunningShop:
    app = create_shop_app(mode=mode)
    server = make_server(LOOPBACK, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox-shop-{server.server_port}", daemon=True)
    thread.start()
    return RunningShop(server, app, thread)


class Sandbox:
    """The sandbox portal and shop, running."""

    def __init__(self, portal: RunningSandbox, shop: RunningShop) -> None:
        self.portal = portal
        self.shop = shop

    @property
    def portal_url(self) -> str:
        return self.portal.url

    @property
    def shop_url(self) -> str:
        return self.shop.url

    def stop(self) -> None:
        try:
            self.shop.stop()
        finally:
            self.portal.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start(*, ui: str = "classic", mode: Mode = "demo", portal_port: int = 0, shop_port: int = 0) -> Sandbox:
    portal = start_sandbox(port=portal_port, mode=mode, skin=ui)
    try:
        shop = start_shop(port=shop_port, mode=mode)
    except Exception:
        portal.stop()
        raise
    return Sandbox(portal, shop)
