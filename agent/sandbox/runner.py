"""Run the whole sandbox: the portal, the mock Daraja and the shop, each on its own loopback port, in background
threads.

``start(ui=..., mode=..., portal_port=..., shop_port=...)`` returns a ``Sandbox`` (``portal_url``,
``daraja_url``, ``shop_url``, the pages a person uses, ``stop()``; a context manager) used by ``mpesa-agent
sandbox``, ``mpesa-agent demo`` and the tests. The mock Daraja answers initiators from the sandbox portal's
operators, and the shop's M-PESA plugin stand-in sends its Transaction Status queries to it.
Port 0 means a free port (tests, the demo; the mock Daraja always gets a free one); ``mpesa-agent sandbox`` uses the
fixed ``DEFAULT_PORTAL_PORT`` and ``DEFAULT_SHOP_PORT`` so a profile that names the sandbox's URLs keeps working
across restarts. A port that is taken, not allowed or out of range is a ``UsageError`` (exit 2).
``banner(sandbox)`` is what ``mpesa-agent sandbox`` prints: every URL and published sandbox-only login a person
needs, and the README quickstart to try.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from agent.errors import UsageError
from agent.sandbox import shop as shop_paths
from agent.sandbox.portal import ADMIN_MSISDN, ADMIN_PASSWORD, ADMIN_USERNAME, SHORTCODE
from agent.sandbox.shop import ADMIN_LOGIN, ADMIN_LOGIN_PASSWORD

if TYPE_CHECKING:  # Flask and werkzeug load in start(), so the constants here are cheap to import (e.g. in the CLI)
    from werkzeug.serving import BaseWSGIServer

    from agent.sandbox.daraja.server import RunningDaraja
    from agent.sandbox.portal.server import RunningSandbox

LOOPBACK = "127.0.0.1"
__all__ = [
    "ADMIN_MSISDN",
    "ADMIN_PASSWORD",
    "ADMIN_USERNAME",
    "DEFAULT_PORTAL_PORT",
    "DEFAULT_SHOP_PORT",
    "SANDBOX_SHOP_PASSWORD",
    "SANDBOX_SHOP_USER",
    "SHORTCODE",
    "Sandbox",
    "banner",
    "start",
]
Mode = Literal["test", "demo"]

DEFAULT_PORTAL_PORT = 8765
DEFAULT_SHOP_PORT = 8766
SANDBOX_SHOP_USER = ADMIN_LOGIN
SANDBOX_SHOP_PASSWORD = ADMIN_LOGIN_PASSWORD  # the shop's wp-login password: published, sandbox-only
PORTAL_PORT_FLAG = "--port"  # the `mpesa-agent sandbox` flags the port errors name
SHOP_PORT_FLAG = "--shop-port"

T = TypeVar("T")


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


def start_shop(
    *, port: int = 0, mode: Mode = "demo", portal_url: str | None = None, daraja_url: str | None = None
) -> RunningShop:
    """Serve a sandbox shop on loopback (port 0 = a free one); with ``portal_url`` also its ``/sandbox/`` pages, with
    ``daraja_url`` its plugin stand-in's Transaction Status query against that mock Daraja."""
    from werkzeug.serving import make_server

    from agent.sandbox.shop.app import create_app as create_shop_app

    app = create_shop_app(mode=mode, portal_url=portal_url, daraja_url=daraja_url)
    server = make_server(LOOPBACK, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox-shop-{server.server_port}", daemon=True)
    thread.start()
    return RunningShop(server, app, thread)


class Sandbox:
    """The sandbox portal and shop, running. URLs have no trailing slash unless they name a page."""

    def __init__(
        self, portal: RunningSandbox, shop: RunningShop, *, ui: str = "classic", daraja: RunningDaraja | None = None
    ) -> None:
        self.portal = portal
        self.shop = shop
        self.ui = ui
        self.daraja = daraja

    @property
    def daraja_url(self) -> str | None:
        """The mock Daraja (a profile's ``daraja_url``), or None when it was not started."""
        return self.daraja.url if self.daraja is not None else None

    @property
    def portal_url(self) -> str:
        return self.portal.url

    @property
    def shop_url(self) -> str:
        return self.shop.url

    @property
    def portal_login_url(self) -> str:
        return self.portal.login_url

    @property
    def sms_url(self) -> str:
        """A readable page of the portal's SMS (newest first, refreshing)."""
        return f"{self.shop_url}/{shop_paths.SMS_PATH}"

    @property
    def captcha_url(self) -> str:
        """A readable page of the code the portal's newest captcha shows."""
        return f"{self.shop_url}/{shop_paths.CAPTCHA_PATH}"

    @property
    def shop_login_url(self) -> str:
        return f"{self.shop_url}/{shop_paths.LOGIN_PATH}"

    @property
    def app_password_url(self) -> str:
        """The shop's Profile page, where a logged-in user adds an application password."""
        return f"{self.shop_url}/{shop_paths.APP_PASSWORDS_PATH}"

    @property
    def plugin_settings_url(self) -> str:
        """WooCommerce → Settings → Payments → the M-PESA gateway: what ``push`` wrote, secrets masked."""
        return f"{self.shop_url}/{shop_paths.gateway_settings_path('mpesa')}"

    def stop(self) -> None:
        try:
            self.shop.stop()
        finally:
            try:
                if self.daraja is not None:
                    self.daraja.stop()
            finally:
                self.portal.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def check_port(port: int, flag: str) -> None:
    """Refuse a port outside 0-65535 (0 = a free one) with a UsageError naming ``flag``."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise UsageError(
            f"{flag} {port} is not a port number: use 1-65535.",
            hint=f"Run: mpesa-agent sandbox {PORTAL_PORT_FLAG} {DEFAULT_PORTAL_PORT} "
            f"{SHOP_PORT_FLAG} {DEFAULT_SHOP_PORT}",
        )


def _probe(port: int) -> None:
    """Raise the OSError binding ``port`` on loopback would raise now (werkzeug would print it and exit instead)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name != "nt":  # as the server binds (on Windows SO_REUSEADDR would allow sharing a taken port)
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((LOOPBACK, port))


def _listen(what: str, port: int, flag: str, serve: Callable[[], T]) -> T:
    """``serve()``, with "port taken / not allowed" translated to a UsageError naming ``flag``."""
    try:
        if port:
            _probe(port)
        try:
            return serve()
        except SystemExit:  # werkzeug's make_server exits when it cannot bind (if the port was taken since)
            raise OSError(errno.EADDRINUSE, "Address already in use") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            reason = "is already in use (is another `mpesa-agent sandbox` running?)"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            reason = "is not allowed for this user (ports below 1024 usually need administrator rights)"
        else:
            reason = f"cannot be used ({exc.strerror or exc})"
        raise UsageError(
            f"The sandbox {what} cannot listen on {LOOPBACK}:{port}: the port {reason}.",
            hint=f"Stop the program using it, or choose another port with {flag} N "
            f"(e.g. mpesa-agent sandbox {PORTAL_PORT_FLAG} 0 {SHOP_PORT_FLAG} 0 picks free ones).",
        ) from None


def start(
    *, ui: str = "classic", mode: Mode = "demo", portal_port: int = 0, shop_port: int = 0, markup: str = "default"
) -> Sandbox:
    """Start the portal (skin ``ui``, page structure ``markup``: see ``agent.sandbox.portal.markup``), the mock
    Daraja and the shop on loopback; port 0 = a free port. Raises UsageError (exit 2) for a port out of range, the
    same port twice, a port that is taken or not allowed, or a markup the skin does not have."""
    from agent.sandbox.daraja.server import start_daraja
    from agent.sandbox.portal.markup import MARKUP_MODES, parse_markup
    from agent.sandbox.portal.server import start_sandbox

    try:
        layout = parse_markup(markup, skin=ui)
    except ValueError as exc:
        raise UsageError(
            f"The sandbox cannot render markup {markup!r}: {exc}.",
            hint=f"Give --markup default, hard, or some of those axes separated by commas (the {ui} skin has "
            f"{len(MARKUP_MODES.get(ui, ()))}).",
        ) from None

    check_port(portal_port, PORTAL_PORT_FLAG)
    check_port(shop_port, SHOP_PORT_FLAG)
    if portal_port and portal_port == shop_port:
        raise UsageError(
            f"The portal and the shop cannot share port {portal_port}.",
            hint=f"Give them different ports, e.g. mpesa-agent sandbox {PORTAL_PORT_FLAG} {DEFAULT_PORTAL_PORT} "
            f"{SHOP_PORT_FLAG} {DEFAULT_SHOP_PORT}",
        )
    portal = _listen(
        "portal",
        portal_port,
        PORTAL_PORT_FLAG,
        lambda: start_sandbox(port=portal_port, mode=mode, skin=ui, markup=layout),
    )
    try:
        daraja = start_daraja(port=0, mode=mode, portal_state=portal.state)
    except BaseException:
        portal.stop()
        raise
    try:
        shop = _listen(
            "shop",
            shop_port,
            SHOP_PORT_FLAG,
            lambda: start_shop(port=shop_port, mode=mode, portal_url=portal.url, daraja_url=daraja.url),
        )
    except BaseException:
        daraja.stop()
        portal.stop()
        raise
    return Sandbox(portal, shop, ui=ui, daraja=daraja)


def banner(sandbox: Sandbox, *, ui: str | None = None) -> list[str]:
    """The lines ``mpesa-agent sandbox`` prints: where everything is, the published sandbox-only logins, and the
    README quickstart with the default prompts (the person types the captcha and SMS codes from the pages shown)."""
    skin = ui or sandbox.ui
    return [
        f"Sandbox M-PESA Org Portal ({skin}): {sandbox.portal_login_url}",
        f"  short code {SHORTCODE}, Business Administrator {ADMIN_USERNAME} / {ADMIN_PASSWORD}, "
        f"phone {ADMIN_MSISDN} (published sandbox-only values)",
        f"  SMS inbox (login codes, new operators' passwords): {sandbox.sms_url}",
        f"  captcha code now showing: {sandbox.captcha_url}",
        f"Sandbox shop (WordPress + WooCommerce stand-in): {sandbox.shop_url}/",
        f"  log in: {sandbox.shop_login_url} as {SANDBOX_SHOP_USER} / {SANDBOX_SHOP_PASSWORD} (sandbox-only)",
        f"  create an application password: {sandbox.app_password_url}",
        f"  M-PESA plugin settings (what push wrote): {sandbox.plugin_settings_url}",
        *_daraja_lines(sandbox),
        "Try the README quickstart (type the captcha and the SMS codes from the pages above when asked):",
        f"  mpesa-agent config init          then edit profile {SHORTCODE}: admin_username = "
        f'"{ADMIN_USERNAME}", owner_msisdn = "{ADMIN_MSISDN}" (and any placeholder it names)',
        f"  mpesa-agent setup --portal-url {sandbox.portal_url}",
        f"  mpesa-agent link-site {sandbox.shop_url} --username {SANDBOX_SHOP_USER}"
        "   (paste the application password you created)",
        "  mpesa-agent push",
        "  mpesa-agent go-live --environment sandbox --payment-type paybill   (add daraja_url to the profile first)",
        "  mpesa-agent status",
        "Press Ctrl-C to stop.",
    ]


def _daraja_lines(sandbox: Sandbox) -> list[str]:
    if sandbox.daraja_url is None:
        return []
    from agent.sandbox.daraja import CONSUMER_KEY, CONSUMER_SECRET, PASSKEY

    return [
        f"Mock Daraja (sandbox environment, loopback only): {sandbox.daraja_url}",
        f"  its app: consumer key {CONSUMER_KEY}, consumer secret {CONSUMER_SECRET}, passkey {PASSKEY}",
        "  (published sandbox-only values; for go-live, set the profile's daraja_url to the address above)",
    ]
