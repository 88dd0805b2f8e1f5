"""Open a portal session: browser + page map for the portal's UI generation + human input provider.

This is the one place that turns settings into a ready ``Portal``; workflows use ``portal_session`` and never
start browsers themselves.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from agent.errors import UsageError
from agent.portal.browser import BrowserOptions, BrowserSession
from agent.portal.flows import Portal
from agent.portal.human import HumanInput
from agent.portal.pagemap import GENERATIONS, PageMap, load_checked
from agent.portal.screens import PortalContext

log = logging.getLogger(__name__)


@dataclasses.dataclass
class PortalOptions:
    url: str
    ui: str = "auto"  # "auto" | "classic" | "current"
    headless: bool = True
    timeout_ms: int = 15000
    human_timeout_s: int = 300


def portal_base_url(url: str) -> str:
    """The portal's base address from what a user gave: the base itself or a login page of either generation.

    ``https://host/orglogin.action`` and ``https://host/#/login`` both become ``https://host``; query strings and
    fragments after a login page are dropped; any other path (a portal under a prefix) is kept.
    """
    from urllib.parse import urlsplit, urlunsplit

    from agent import resources

    parts = urlsplit(url.strip())
    path = parts.path
    login_paths = []
    for generation in GENERATIONS:
        data = resources.load_toml("portal.toml").get(generation, {})
        if isinstance(data, dict) and isinstance(data.get("login_path"), str):
            login_paths.append(str(data["login_path"]))
    fragment = parts.fragment
    for login_path in login_paths:
        route, _, hash_route = login_path.partition("#")
        if hash_route and fragment.rstrip("/") == hash_route.rstrip("/") and path.rstrip("/") == route.rstrip("/"):
            fragment = ""
        elif not hash_route and route and path.rstrip("/").endswith(route.rstrip("/")):
            path = path.rstrip("/")[: -len(route.rstrip("/"))]
            fragment = ""
    query = "" if path != parts.path else parts.query
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), query, fragment)).rstrip("/")


def detect_generation(browser: BrowserSession, url: str, timeout_ms: int) -> str:
    """Which UI generation the portal serves: open the current UI's login route; a portal that shows the current
    login marker is "current", one that ends on the classic login page is "classic"."""
    if not _has_map("current"):
        return "classic"
    current, classic = PageMap.load("current"), PageMap.load("classic")
    page = browser.page
    page.goto(url.rstrip("/") + "/" + str(current.value("login_path")).lstrip("/"))
    current_marker = current.element("login", "detect").locate(page)
    classic_marker = classic.element("login", "screen").locate(page)
    try:
        current_marker.or_(classic_marker).first.wait_for(state="visible", timeout=timeout_ms)
    except Exception:  # noqa: BLE001 - undecided: classic; a drift error will say more on the next screen
        return "classic"
    return "current" if current_marker.count() > 0 else "classic"


def _has_map(generation: str) -> bool:
    from agent import resources

    return generation in resources.load_toml("portal.toml")


@contextmanager
def portal_session(options: PortalOptions, human: HumanInput, *, browser: Any = None) -> Iterator[Portal]:
    if options.ui not in ("auto", *GENERATIONS):
        raise UsageError(f"Unknown portal UI '{options.ui}'.", hint="Use --ui auto, classic or current.")
    load_checked()  # a broken page map or override is a ConfigError (exit 2) before any browser starts
    browser_options = BrowserOptions(headless=options.headless, timeout_ms=options.timeout_ms)
    options = dataclasses.replace(options, url=portal_base_url(options.url))
    with BrowserSession(browser_options, browser=browser) as session:
        generation = options.ui
        if generation == "auto":
            generation = detect_generation(session, options.url, options.timeout_ms)
            log.info("portal UI detected: %s", generation)
        ctx = PortalContext(session, PageMap.load(generation), options.url, browser_options)
        portal = Portal(ctx, human, human_timeout_ms=options.human_timeout_s * 1000)
        try:
            yield portal
        finally:
            try:
                if portal.logged_in_as:
                    portal.logout()
            except Exception:
                log.debug("logout at the end failed", exc_info=True)
