"""Find a Chromium that Playwright can drive, on any OS, without downloading anything.

Order: ``MPESA_AGENT_CHROMIUM`` or ``CHROMIUM_PATH`` (explicit), Playwright's own downloaded browser if present,
then the system's Chromium/Chrome/Edge in their usual places. Kept free of Playwright imports so tests and the CLI
can ask cheaply.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from agent.errors import AgentError, ExitStatus


class BrowserMissingError(AgentError):
    """No Chromium-family browser was found."""

    exit_status = ExitStatus.ERROR


_CANDIDATE_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge")
_CANDIDATE_PATHS = {
    "darwin": (
        "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        "/Applications/Chromium.app/Contents/MacOS/Chromium",
        "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    ),
    "win32": (
        r"%PROGRAMFILES%\Google\Chrome\Application\chrome.exe",
        r"%PROGRAMFILES(X86)%\Google\Chrome\Application\chrome.exe",
        r"%LOCALAPPDATA%\Google\Chrome\Application\chrome.exe",
        r"%PROGRAMFILES(X86)%\Microsoft\Edge\Application\msedge.exe",
        r"%PROGRAMFILES%\Microsoft\Edge\Application\msedge.exe",
    ),
}


def _playwright_own() -> str | None:
    """Playwright's downloaded Chromium, if `playwright install chromium` ever succeeded on this machine."""
    base = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    roots = [Path(base)] if base and base != "0" else []
    if sys.platform == "win32":
        roots.append(Path(os.environ.get("LOCALAPPDATA", "")) / "ms-playwright")
    elif sys.platform == "darwin":
        roots.append(Path.home() / "Library" / "Caches" / "ms-playwright")
    else:
        roots.append(Path.home() / ".cache" / "ms-playwright")
    patterns = (
        "chromium-*/chrome-linux*/chrome",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
        "chromium-*/chrome-win*/chrome.exe",
    )
    for root in roots:
        if not root.is_dir():
            continue
        for pattern in patterns:
            found = sorted(root.glob(pattern), reverse=True)
            if found:
                return str(found[0])
    return None


def find_chromium() -> str:
    """The path of a Chromium-family browser executable, or BrowserMissingError with how to get one."""
    for var in ("MPESA_AGENT_CHROMIUM", "CHROMIUM_PATH"):
        explicit = os.environ.get(var)
        if explicit:
            if Path(explicit).exists():
                return explicit
            raise BrowserMissingError(
                f"{var} names {explicit}, which does not exist.", hint=f"Point {var} at a Chromium or Chrome binary."
            )
    own = _playwright_own()
    if own:
        return own
    for name in _CANDIDATE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    for candidate in _CANDIDATE_PATHS.get(sys.platform, ()):
        path = os.path.expandvars(candidate)
        if Path(path).exists():
            return path
    raise BrowserMissingError(
        "No Chromium, Chrome or Edge browser was found.",
        hint="Install Google Chrome (or on Debian/Ubuntu: apt-get install chromium), "
        "or set MPESA_AGENT_CHROMIUM to the browser's path.",
    )
