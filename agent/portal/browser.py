"""Browser lifecycle for portal automation (Playwright, sync API).

One ``BrowserSession`` per run: Chromium found by ``agent.portal.chromium``, headless unless asked, short default
timeouts from settings, no traces, videos or downloads. Screenshots are taken only on failure, with every input
field and the captcha image masked, into the private artefacts dir (0700 dir, 0600 files).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
from pathlib import Path
from types import TracebackType
from typing import Any

from agent import settings
from agent.errors import AgentError, ExitStatus
from agent.portal.chromium import find_chromium

log = logging.getLogger(__name__)


class BrowserStartError(AgentError):
    """The browser could not be started."""

    exit_status = ExitStatus.ERROR


@dataclasses.dataclass
class BrowserOptions:
    headless: bool = True
    timeout_ms: int = 15000
    # How long an element of a screen that is already shown may take to appear; short, so that a renamed element
    # is reported as portal drift quickly instead of after the full page timeout.
    element_timeout_ms: int = 2500
    slow_mo_ms: int = 0


class BrowserSession:
    """Starts Playwright + Chromium; ``page`` is the one tab the automation drives."""

    def __init__(self, options: BrowserOptions, *, browser: Any = None) -> None:
        """``browser``: an already running Playwright Browser to open a fresh context in (tests inject theirs);
        it is left running at the end. Without it, Chromium is found and started here."""
        self.options = options
        self._pw: Any = None
        self._own_browser = browser is None
        self._browser: Any = browser
        self._context: Any = None
        self.page: Any = None

    def __enter__(self) -> BrowserSession:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        executable = "(injected)" if self._browser is not None else find_chromium()
        log.debug("starting Chromium at %s (headless=%s)", executable, self.options.headless)
        try:
            if self._browser is None:
                self._pw = sync_playwright().start()
                self._browser = self._pw.chromium.launch(
                    executable_path=executable,
                    headless=self.options.headless,
                    slow_mo=self.options.slow_mo_ms or None,
                    args=["--disable-background-networking", "--disable-component-update", "--no-first-run"],
                )
            self._context = self._browser.new_context(
                accept_downloads=False, locale="en-GB", viewport={"width": 1366, "height": 850}
            )
            self._context.set_default_timeout(self.options.timeout_ms)
            self._context.set_default_navigation_timeout(self.options.timeout_ms)
            self.page = self._context.new_page()
        except PlaywrightError as exc:
            self.close()
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if "Missing X server" in str(exc) or "DISPLAY" in str(exc):
                raise BrowserStartError(
                    "The browser cannot open a window here (no display).",
                    hint="Run without --headed, or start it under a desktop session (or xvfb-run).",
                ) from None
            raise BrowserStartError(
                f"Chromium at {executable} did not start: {first_line}",
                hint="Set MPESA_AGENT_CHROMIUM to a working Chromium or Chrome.",
            ) from None
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        for closer in (self._context, self._browser if self._own_browser else None):
            if closer is not None:
                try:
                    closer.close()
                except Exception:
                    log.debug("closing the browser failed", exc_info=True)
        if self._pw is not None:
            try:
                self._pw.stop()
            except Exception:
                log.debug("stopping Playwright failed", exc_info=True)
        self._pw = self._browser = self._context = self.page = None

    def failure_screenshot(self, name: str) -> Path | None:
        """A screenshot of the current page with every input and image masked, saved privately; None if impossible."""
        if self.page is None:
            return None
        directory = settings.paths().artefacts_dir
        try:
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o700)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:60]
            path = directory / f"{stamp}-{safe}.png"
            masks = [self.page.locator("input"), self.page.locator("img")]
            for frame in self.page.frames[1:]:
                masks += [frame.locator("input"), frame.locator("img")]
            data = self.page.screenshot(mask=masks, mask_color="#444444", timeout=5000, full_page=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return path
        except Exception:
            log.debug("failure screenshot not taken", exc_info=True)
            return None
