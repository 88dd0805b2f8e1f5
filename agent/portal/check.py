"""``portal check``: a read-only drift scan of a real portal against the page map.

It logs in (captcha and SMS code through the usual human-input provider), opens every screen the setup flows use
**without submitting anything** (the login page, the logged-in shell, the operator list, the first step of the
Create Organization Operator wizard, closed again with Cancel), and reports for each page-map element that must be
visible there whether it was found — and in which frame — or not. Elements that appear only after an action (dialogs,
messages, later wizard steps) are listed as not checked, never as found.

With ``record_dir`` it also writes, per screen, a redacted accessibility snapshot: the frame tree (paths without
query strings) and each frame's ARIA tree (roles and names). Field values are cut from the snapshot, and every secret
the scan knows (the password, the codes typed) is replaced as a second guard. Files are created 0600 in a 0700
directory, so a user can attach them to a report and the map can be corrected.

What belongs here: the scan and its report. The CLI command and the portal session come from the workflow layer.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError

from agent.errors import AgentError, ExitStatus
from agent.portal.flows import Portal
from agent.portal.pagemap import Element
from agent.portal.screens import CreateOperatorScreen, LoginScreen, OperatorsScreen, ShellScreen, aria_snapshot
from agent.secret import Secret

#: Per screen, the page-map keys that must be visible as soon as the screen is open (both generations; a key a
#: generation's map does not have is skipped for it). Everything else in a screen's table is conditional.
MUST_SHOW: dict[str, tuple[str, ...]] = {
    "login": ("short_code", "user_name", "password", "verification_code", "captcha_image", "login"),
    "shell": ("logout", "browse_organization", "my_preference"),
    "sidebar": ("screen",),
    "operators": ("screen", "user_name", "search", "add", "grid"),
    "create": ("screen", "web", "api", "next", "cancel"),  # User Name shows once a channel is ticked
}
#: Screens the flows use that a read-only scan cannot open (they need a state change first).
NOT_OPENED: dict[str, str] = {
    "otp": "shown only while logging in; the login just passed it",
    "first_login": "shown only at an operator's first login",
    "operator_info": "opening an operator could be mistaken for a change; not opened",
    "my_preference": "its dialog changes a password; not opened",
}
_VALUE_ROLES = ("textbox", "searchbox", "combobox", "spinbutton", "slider")
_VALUE_LINE = re.compile(
    r"^(?P<head>\s*- (?:" + "|".join(_VALUE_ROLES) + r')(?: "(?:[^"\\]|\\.)*")?(?: \[[^\]]*\])*):.*$'
)


@dataclasses.dataclass(frozen=True)
class CheckItem:
    """One page-map element on one screen: found (and where) or missing."""

    screen: str
    key: str
    description: str
    found: bool
    where: str = ""

    def line(self) -> str:
        if self.found:
            return f"  ✓ {self.screen}.{self.key}: {self.description} ({self.where})"
        return f"  ✗ {self.screen}.{self.key}: {self.description} — not found in any frame"


@dataclasses.dataclass
class CheckReport:
    """What the scan saw; ``exit_status`` is 0 when every must-show element was found, else 6."""

    generation: str
    items: list[CheckItem] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    stopped: str = ""
    recorded: list[Path] = dataclasses.field(default_factory=list)

    @property
    def missing(self) -> list[CheckItem]:
        return [item for item in self.items if not item.found]

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.PORTAL_CHANGED if self.missing or self.stopped else ExitStatus.OK

    def lines(self) -> list[str]:
        out = [f"Portal check ({self.generation} UI): nothing was submitted."]
        screen = ""
        for item in self.items:
            if item.screen != screen:
                screen = item.screen
                out.append(f"{screen}:")
            out.append(item.line())
        if self.stopped:
            out.append(f"Stopped: {self.stopped}")
        for name, why in self.skipped:
            out.append(f"  – {name}: not checked: {why}")
        if self.recorded:
            out.append(f"Snapshots (redacted, 0600): {self.recorded[0].parent}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.exit_status == ExitStatus.OK,
            "generation": self.generation,
            "elements": [dataclasses.asdict(item) for item in self.items],
            "not_checked": [{"screen": name, "reason": why} for name, why in self.skipped],
            "stopped": self.stopped or None,
            "recorded": [str(path) for path in self.recorded],
        }


def frame_label(frame: Any, page: Any) -> str:
    """'top' or the chain of frames down to ``frame`` (names or URL paths, never query strings)."""
    chain: list[str] = []
    node = frame
    while node is not None and node != page.main_frame:
        name = node.name or re.sub(r"[?#].*$", "", node.url.split("://", 1)[-1].split("/", 1)[-1]) or "frame"
        chain.append(f"frame {name!r}")
        node = node.parent_frame
    return " › ".join(["top", *reversed(chain)])


def find_in_frames(element: Element, page: Any) -> str | None:
    """Where a visible match of ``element`` is (a frame label), searching the top document and every frame."""
    for frame in page.frames:
        try:
            locator = element.locate(frame)
            for index in range(min(locator.count(), 20)):
                if locator.nth(index).is_visible():
                    return frame_label(frame, page)
        except PlaywrightError:
            continue  # a frame navigated or detached while it was read
    return None


def redact_snapshot(text: str, secrets: Iterable[str] = ()) -> str:
    """An ARIA snapshot without field values (``- textbox "Name": value`` → the role and name only) and without
    any of ``secrets``."""
    lines = []
    for line in text.splitlines():
        match = _VALUE_LINE.match(line)
        lines.append(match.group("head") if match else line)
    out = "\n".join(lines)
    for secret in secrets:
        if secret:
            out = out.replace(secret, "[redacted]")
    return out


def write_private(path: Path, text: str) -> None:
    """Create ``path`` 0600 (its directory 0700) and write ``text`` as UTF-8 bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(text.encode("utf-8"))


class _Scan:
    def __init__(self, portal: Portal, record_dir: Path | None, secrets: Sequence[str]) -> None:
        self.portal = portal
        self.pagemap = portal.ctx.pagemap
        self.report = CheckReport(self.pagemap.generation)
        self.record_dir = record_dir
        self.secrets = secrets

    def screen(self, name: str) -> None:
        if not self.pagemap.has(name):
            return
        for key in MUST_SHOW.get(name, ()):
            if not self.pagemap.has(name, key):
                continue
            element = self.pagemap.element(name, key)
            where = self.by_place(name, key)
            if where is None:
                where = find_in_frames(element, self.portal.page)
            self.report.items.append(CheckItem(name, key, element.describe(), where is not None, where or ""))
        self.record(name)

    def by_place(self, name: str, key: str) -> str | None:
        """Where the flows find ``key`` when they do not go by its name (the captcha picture by its place, the grid
        by its column headers, check boxes by the text beside them); None when they go by name or find nothing."""
        ctx = self.portal.ctx
        try:
            if (name, key) == ("login", "captcha_image"):
                found: Any = LoginScreen(ctx).captcha_image()
            elif (name, key) == ("operators", "grid"):
                found = OperatorsScreen(ctx).read_grid()[0]
            elif name == "create" and self.pagemap.element(name, key).spec.get("role") == "checkbox":
                found = CreateOperatorScreen(ctx).checkbox(key)
            else:
                return None
            handle = found.first.element_handle(timeout=ctx.options.element_timeout_ms)
            frame = handle.owner_frame() if handle is not None else None
        except (AgentError, PlaywrightError):
            return None
        return frame_label(frame, self.portal.page) if frame is not None else None

    def record(self, name: str) -> None:
        if self.record_dir is None:
            return
        page = self.portal.page
        parts = [f"# screen: {name} ({self.pagemap.generation} UI); field values and secrets removed"]
        for frame in page.frames:
            parts.append(f"\n## {frame_label(frame, page)}")
            try:
                parts.append(redact_snapshot(aria_snapshot(frame), self.secrets))
            except PlaywrightError as exc:
                parts.append(f"(not readable: {type(exc).__name__})")
        path = self.record_dir / f"{len(self.report.recorded) + 1:02d}-{name}.txt"
        write_private(path, "\n".join(parts) + "\n")
        self.report.recorded.append(path)


def check_portal(
    portal: Portal, short_code: str, username: str, password: Secret, *, record_dir: Path | None = None
) -> CheckReport:
    """Scan the portal read-only (see the module docstring); the report says what was found where."""
    scan = _Scan(portal, record_dir, [password.reveal()])
    LoginScreen(portal.ctx).open()
    scan.screen("login")
    try:
        portal.login(short_code, username, password, purpose="portal check")
        ShellScreen(portal.ctx).wait_shown()
        scan.screen("shell")
        scan.screen("sidebar")
        operators: OperatorsScreen = portal.open_operator_list()
        scan.screen("operators")
        add = operators.require("add")
        if add.is_disabled():
            scan.report.skipped.append(("create", f"{username} may not create operators (Add is greyed out)"))
        else:
            add.click()
            wizard = CreateOperatorScreen(portal.ctx)
            wizard.wait_shown()
            scan.screen("create")
            wizard.require("cancel").click()  # leave the wizard as it was found: nothing typed, nothing sent
    except AgentError as exc:
        if exc.exit_status != ExitStatus.PORTAL_CHANGED:
            raise
        scan.report.stopped = exc.message
    scan.report.skipped.extend(NOT_OPENED.items())
    return scan.report
