"""Finding page-map elements as a person does: in the top document and every nested frame, the visible match.

A portal may show a screen in a tab's iframe (at any depth), open a dialog, a confirmation or a message in another
frame than the button that caused it, and render a part of a screen late. Every lookup here therefore searches all
frames of the page (``page.frames`` lists nested frames at any depth) and polls until a deadline, waiting in short
slices on the element itself (a postcondition wait, never a fixed sleep).

What belongs here: frame-independent lookup and waiting. What does not: which element means what (the page map in
``config/portal.toml``) and what a screen does with it (``agent.portal.screens``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator

from agent.portal.pagemap import Element

#: How long one poll waits on the most likely frame before all frames are looked at again.
POLL_SLICE_MS = 100

Target = Element | Locator

#: Waits of this run that ended at their deadline (what was waited for), for tests and ``make bench``: on a
#: successful run there should be none.
_EXPIRED: list[str] = []


def note_expired(what: str) -> None:
    """Record that a wait for ``what`` ran its full timeout."""
    _EXPIRED.append(what)


def expired_waits(*, reset: bool = False) -> list[str]:
    """The waits that ran their full timeout since the last reset (``reset`` clears the record)."""
    out = list(_EXPIRED)
    if reset:
        _EXPIRED.clear()
    return out


def all_frames(page: Any, inner_first: bool = False) -> list[Any]:
    """Every frame of ``page``: the top document first, then nested frames at any depth; with ``inner_first`` the
    innermost frames first (a screen of the classic portal's work area lives in a tab's iframe)."""
    try:
        frames = [f for f in page.frames if not f.is_detached()]
    except PlaywrightError:
        frames = []
    if inner_first:
        frames.sort(key=_depth, reverse=True)
    return frames


def _depth(frame: Any) -> int:
    depth = 0
    while frame.parent_frame is not None:
        depth, frame = depth + 1, frame.parent_frame
    return depth


def _visible(locator: Locator) -> Locator | None:
    try:
        shown = locator.filter(visible=True)
        return shown if shown.count() > 0 else None
    except PlaywrightError:  # a frame navigated away while it was read
        return None


def visible_now(page: Any, target: Target, inner_first: bool = False) -> Locator | None:
    """The visible matches of ``target`` in the first frame that shows any, or None (no waiting)."""
    if not isinstance(target, Element):
        return _visible(target)
    for frame in all_frames(page, inner_first):
        found = _visible(target.locate(frame))
        if found is not None:
            return found
    return None


def frame_showing(page: Any, target: Element, inner_first: bool = False) -> Any | None:
    """The frame (any depth) that shows ``target`` now, or None."""
    for frame in all_frames(page, inner_first):
        if _visible(target.locate(frame)) is not None:
            return frame
    return None


def pause_on(locators: Iterable[Locator]) -> None:
    """Wait one short slice for the first of ``locators`` to become visible (returns early when it does)."""
    for locator in locators:
        try:
            locator.first.wait_for(state="visible", timeout=POLL_SLICE_MS)
        except PlaywrightError:
            pass
        return


def wait_visible(page: Any, target: Target, timeout_ms: int, inner_first: bool = False) -> Locator | None:
    """The visible matches of ``target`` in whichever frame shows them first, within ``timeout_ms``; else None."""
    found = wait_any(page, {"target": target}, timeout_ms, inner_first)
    return None if found is None else found[1]


def wait_any(
    page: Any, targets: Mapping[str, Target], timeout_ms: int, inner_first: bool = False
) -> tuple[str, Locator] | None:
    """The first of ``targets`` (in the mapping's order) visible in any frame within ``timeout_ms``, with its
    visible matches; None when none appeared by the deadline."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        for key, target in targets.items():
            found = visible_now(page, target, inner_first)
            if found is not None:
                return key, found
        if time.monotonic() >= deadline:
            note_expired(", ".join(targets))
            return None
        probes: list[Locator] = []
        for target in targets.values():
            if isinstance(target, Element):
                probes += [target.locate(f) for f in all_frames(page, inner_first)[:1]]
            else:
                probes.append(target)
        pause_on(probes)


def frame_name(frame: Any) -> str:
    """A short description of a frame for messages: "the top document" or the frame's name or address."""
    try:
        if frame.parent_frame is None:
            return "the top document"
        return f"the frame {frame.name or frame.url}"
    except PlaywrightError:
        return "a frame"


# -- menu entries by their text ----------------------------------------------------------------------------------

#: Roles a menu entry may have, most specific first: Element Plus menus are menubar/menu of menuitems; other
#: portals draw trees of treeitems.
_ENTRY_ROLES = ("menuitem", "treeitem")
#: Where a link or plain text counts as a menu entry: a menu, a tree, a navigation landmark or a side region.
MENU_AREAS = "[role=menubar], [role=menu], [role=tree], [role=navigation], nav, aside, [role=complementary]"
#: A breadcrumb repeats the menu's words (Search / Organization Operator) but is not the menu.
_IN_BREADCRUMB = "e => !!e.closest('[aria-label*=breadcrumb i], [aria-roledescription*=breadcrumb i]')"


def menu_entry_now(page: Any, text: str) -> Locator | None:
    """The menu entry ``text`` visible now in any frame (no waiting): a menu item or tree item of that name, else a
    link or the plain text ``text`` inside a menu, tree, navigation or side region (never in a breadcrumb). A
    sub-menu's title and its items are found alike, whatever the menu is built of; None when none is shown."""
    frames = all_frames(page)
    for role in _ENTRY_ROLES:
        for frame in frames:
            found = _visible(frame.get_by_role(role, name=text, exact=True))
            if found is not None:
                return found.first
    for frame in frames:
        areas = frame.locator(MENU_AREAS)
        for candidates in (areas.get_by_role("link", name=text, exact=True), areas.get_by_text(text, exact=True)):
            shown = _visible(candidates)
            if shown is None:
                continue
            for i in range(shown.count()):
                try:
                    if not shown.nth(i).evaluate(_IN_BREADCRUMB):
                        return shown.nth(i)
                except PlaywrightError:
                    continue
    return None


def wait_menu_entry(page: Any, text: str, timeout_ms: int) -> Locator | None:
    """The menu entry ``text`` (see ``menu_entry_now``) once shown in any frame, or None after ``timeout_ms``."""
    deadline = time.monotonic() + timeout_ms / 1000
    while (found := menu_entry_now(page, text)) is None:
        if time.monotonic() >= deadline:
            note_expired(f"menu entry {text}")
            return None
        pause_on(frame.locator(MENU_AREAS).get_by_text(text, exact=True) for frame in all_frames(page)[:1])
    return found


# -- check boxes by the text beside them -------------------------------------------------------------------------

_BOX = "input[type=checkbox], [role=checkbox]"
_HOLDS_BOX = "xpath=ancestor-or-self::*[.//input[@type='checkbox'] or .//*[@role='checkbox']][1]"


def checkbox_beside(scope: Any, text: str) -> Locator | None:
    """The check box for ``text`` in ``scope`` (a Locator, Frame or Page), native or ARIA, named or not: the box
    named so, else the one box in the nearest element around the visible text. None when there is none (or when
    the nearest item holds several boxes, so which one is meant is not clear)."""
    pattern = re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$", re.IGNORECASE)
    for named in (scope.get_by_role("checkbox", name=text, exact=True), scope.get_by_role("checkbox", name=pattern)):
        shown = _visible(named)
        if shown is not None and shown.count() == 1:
            return shown
    labels = _visible(scope.get_by_text(pattern))
    if labels is None:
        return None
    for i in range(labels.count()):
        boxes = labels.nth(i).locator(_HOLDS_BOX).locator(_BOX)
        try:
            if boxes.count() == 1:
                return boxes
        except PlaywrightError:
            continue
    return None


def tick(box: Locator, text: Locator | None = None) -> None:
    """Check ``box`` (native or ARIA) and make sure it shows as checked; clicks the text beside it when the box
    itself does not take the click. Raises PlaywrightError when the box does not end up checked."""
    if box.is_checked():
        return
    try:
        box.check(timeout=2000)
    except PlaywrightError:
        if text is None:
            raise
        text.click()
    box.page.wait_for_function(
        "e => e.matches('input') ? e.checked : e.getAttribute('aria-checked') === 'true'",
        arg=box.element_handle(),
        timeout=2000,
    )


def text_shown(page: Any, pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` is shown as a whole text anywhere (any frame) right now."""
    return any(_visible(frame.get_by_text(pattern)) is not None for frame in all_frames(page))


def wait_text(page: Any, pattern: re.Pattern[str], timeout_ms: int) -> bool:
    """Whether ``pattern`` comes to be shown as a whole text in any frame within ``timeout_ms`` (a screen part
    may be drawn late, or in another frame than the action that caused it)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not text_shown(page, pattern):
        if time.monotonic() >= deadline:
            note_expired(f"text {pattern.pattern}")
            return False
        pause_on(frame.get_by_text(pattern) for frame in all_frames(page, inner_first=True)[:1])
    return True


def wait_gone(page: Any, target: Target, timeout_ms: int) -> bool:
    """Whether ``target`` is shown in no frame within ``timeout_ms`` (a dialog closing after OK)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while (shown := visible_now(page, target)) is not None:
        if time.monotonic() >= deadline:
            note_expired(f"{target.key if isinstance(target, Element) else 'element'} to close")
            return False
        try:
            shown.first.wait_for(state="hidden", timeout=POLL_SLICE_MS)
        except PlaywrightError:
            pass
    return True
