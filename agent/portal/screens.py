"""Page objects: one class per portal screen, locating elements only through the page map.

A screen first proves it is shown (its ``screen`` element, with the page timeout: pages may be slow), then finds
its elements with a short timeout: once a screen is up, a missing element means the portal changed, and that is
reported at once as ``PortalChangedError`` (exit 6) naming the screen and the element, with a masked screenshot.
Typing is guarded: a secret goes only into a password field, a plain value never into one.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import time
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from agent.errors import PortalChangedError
from agent.portal import locate
from agent.portal.browser import BrowserOptions, BrowserSession
from agent.portal.pagemap import Element, PageMap, Scope
from agent.secret import Secret


@dataclasses.dataclass
class PortalContext:
    """What every screen needs: the browser, the page map, the portal's base URL and the timeouts."""

    browser: BrowserSession
    pagemap: PageMap
    base_url: str
    options: BrowserOptions

    @property
    def page(self) -> Any:
        return self.browser.page

    def drift(self, screen: str, what: str, detail: str = "") -> PortalChangedError:
        shot = self.browser.failure_screenshot(f"{screen}-{what}")
        where = f" A screenshot with all fields masked is at {shot}." if shot else ""
        return PortalChangedError(
            f"The portal's '{screen}' screen does not show {what} as expected{': ' + detail if detail else ''}.{where}",
            hint="The portal may have changed. Compare it with config/portal.toml (copy the changed entry into "
            "portal.toml in your config dir), or report it. Nothing was submitted on this screen.",
        )


class Screen:
    """Base of the page objects. ``section`` names the table of the page map."""

    section = ""
    #: True for screens shown inside the classic portal's tab iframe.
    in_work_area = False

    def __init__(self, ctx: PortalContext) -> None:
        self.ctx = ctx

    @property
    def page(self) -> Any:
        return self.ctx.page

    @property
    def map(self) -> PageMap:
        return self.ctx.pagemap

    def scope(self) -> Scope:
        """Where this screen is: the frame (any depth) that shows its ``screen`` element now; else the classic
        portal's visible tab iframe, or the page."""
        shown = locate.frame_showing(self.page, self.element("screen"), self.in_work_area)
        if shown is not None:
            return shown  # type: ignore[no-any-return]
        if self.in_work_area and self.map.capabilities.work_area == "iframe":
            element = Element("work_area_frame", "frame", self.map.value("work_area_frame"))
            return element.locate(self.page).last.content_frame
        return self.page  # type: ignore[no-any-return]

    def element(self, key: str) -> Element:
        return self.map.element(self.section, key)

    def loc(self, key: str) -> Locator:
        """The element ``key`` in the frame that shows it now (any frame, any depth), else in this screen's scope."""
        element = self.element(key)
        found = locate.visible_now(self.page, element, self.in_work_area)
        return found if found is not None else element.locate(self.scope())

    def wait_for(self, key: str, timeout_ms: int | None = None) -> Locator | None:
        """The visible matches of ``key`` in any frame once shown, or None after ``timeout_ms`` (page timeout)."""
        return locate.wait_visible(
            self.page, self.element(key), timeout_ms or self.ctx.options.timeout_ms, self.in_work_area
        )

    def said(self, key: str, *, section: str = "") -> Element:
        """The page map's text ``key`` as an element: shown anywhere (any frame), case-insensitive, as a substring."""
        return Element(
            section or self.section, key, {"text": self.map.text(section or self.section, key), "partial": True}
        )

    def text_re(self, key: str) -> re.Pattern[str]:
        return re.compile(re.escape(self.map.text(self.section, key)), re.IGNORECASE)

    # -- waiting ---------------------------------------------------------------------------------------------
    def wait_shown(self, timeout_ms: int | None = None) -> None:
        """Wait (page timeout) until this screen is shown; a screen that never comes is portal drift."""
        if self.wait_for("screen", timeout_ms) is None:
            raise self.ctx.drift(self.section, self.element("screen").describe())

    def is_shown(self) -> bool:
        return locate.visible_now(self.page, self.element("screen"), self.in_work_area) is not None

    def require(self, key: str, *, timeout_ms: int | None = None) -> Locator:
        """The element ``key``, visible (in whichever frame shows it), or PortalChangedError quickly."""
        locator = self.wait_for(key, timeout_ms or self.ctx.options.element_timeout_ms)
        if locator is None:
            raise self.ctx.drift(self.section, self.element(key).describe())
        count = locator.count()
        if count != 1:
            raise self.ctx.drift(self.section, self.element(key).describe(), f"found {count} matches, expected one")
        return locator

    # -- typing, guarded -------------------------------------------------------------------------------------
    def fill(self, key: str, value: str | Secret) -> None:
        """Type into the field ``key``; a Secret only into a password field, plain text never into one."""
        locator = self.require(key)
        kind = str(locator.evaluate("e => (e.tagName + ':' + (e.type || '')).toLowerCase()"))
        tag, _, input_type = kind.partition(":")
        if tag not in ("input", "textarea"):
            raise self.ctx.drift(self.section, self.element(key).describe(), f"it is a <{tag}>, not a text field")
        secret = isinstance(value, Secret)
        if secret and input_type != "password":
            raise self.ctx.drift(
                self.section,
                self.element(key).describe(),
                "a secret was about to be typed into a field that is not a password field; nothing was typed",
            )
        if not secret and input_type == "password":
            raise self.ctx.drift(self.section, self.element(key).describe(), "it is a password field")
        locator.fill(value.reveal() if isinstance(value, Secret) else value)

    def fill_code(self, key: str, value: Secret) -> None:
        """Type a one-time code (captcha, OTP) into a text or password field."""
        locator = self.require(key)
        tag = str(locator.evaluate("e => e.tagName.toLowerCase()"))
        if tag != "input":
            raise self.ctx.drift(self.section, self.element(key).describe(), f"it is a <{tag}>, not an input")
        locator.fill(value.reveal())

    def select(self, key: str, option: str) -> None:
        """Choose ``option`` in a native <select> or in a combobox with a listbox of options (Element Plus)."""
        locator = self.require(key)
        tag = str(locator.evaluate("e => e.tagName.toLowerCase()"))
        try:
            if tag == "select":
                locator.select_option(label=option, timeout=self.ctx.options.element_timeout_ms)
                return
            locator.click()
            self._option(locator, option).click(timeout=self.ctx.options.element_timeout_ms)
        except PlaywrightTimeout:
            raise self.ctx.drift(self.section, f'the option "{option}" in {self.element(key).describe()}') from None
        if tag == "input" and not locator.evaluate(_SHOWS_JS, option):
            raise self.ctx.drift(
                self.section, f'the option "{option}" in {self.element(key).describe()}', "it was not taken"
            )

    def _option(self, combobox: Locator, option: str) -> Locator:
        """The option ``option`` of an opened combobox: in the listbox it names (aria-controls; the listbox may be
        rendered anywhere in the document, e.g. at the end of <body>), else the visible option of that name."""
        listbox = str(combobox.get_attribute("aria-controls") or "")
        handle = combobox.element_handle()
        frame = handle.owner_frame() if handle is not None else None
        scope: Any = frame if frame is not None else self.scope()
        if listbox:
            owned: Locator = scope.locator(f"[id='{listbox}']").get_by_role("option", name=option, exact=True)
            if owned.count() > 0:
                return owned.first
        shown: Locator = scope.get_by_role("option", name=option, exact=True).filter(visible=True)
        return shown.first

    def click(self, key: str) -> None:
        self.require(key).click()

    def checkbox(self, key: str) -> Locator:
        """The check box ``key``: as the map says, else the box beside the map's name for it (an unnamed box)."""
        element = self.element(key)
        text = str(element.spec.get("name") or element.spec.get("text") or "")
        deadline = time.monotonic() + self.ctx.options.element_timeout_ms / 1000
        while True:
            found = locate.visible_now(self.page, element, self.in_work_area)
            if found is not None and found.count() == 1:
                return found
            for frame in locate.all_frames(self.page, self.in_work_area):
                box = locate.checkbox_beside(frame, text) if text else None
                if box is not None:
                    return box
            if time.monotonic() >= deadline:
                raise self.ctx.drift(self.section, element.describe())
            locate.pause_on([element.locate(self.scope())])

    def tick(self, key: str) -> None:
        """Check the box ``key`` and verify that it is checked."""
        try:
            locate.tick(self.checkbox(key))
        except PlaywrightError:
            raise self.ctx.drift(self.section, self.element(key).describe(), "it did not become checked") from None

    def visible_error(self, *keys: str) -> str | None:
        """The first of the page map's texts ``keys`` now visible on this screen, by key."""
        for key in keys:
            if self.scope().get_by_text(self.text_re(key)).count() > 0:
                return key
        return None


# ---------------------------------------------------------------------------------------------------------------
# Screens outside the work area: login, OTP, first login, the shell (header, menu, tabs)


class LoginScreen(Screen):
    section = "login"

    def open(self) -> None:
        url = self.ctx.base_url.rstrip("/") + str(self.map.value("login_path"))
        try:
            self.page.goto(url)
        except PlaywrightError as exc:
            from agent.errors import PortalError

            raise PortalError(
                f"The portal at {self.ctx.base_url} could not be opened ({str(exc).splitlines()[0]}).",
                hint="Check the portal address (portal_url / --portal-url) and your internet connection.",
            ) from None
        self.wait_shown()

    def fill_credentials(self, short_code: str, username: str, password: Secret) -> None:
        self.fill("short_code", short_code)
        self.fill("user_name", username)
        self.fill("password", password)

    def holds(self, short_code: str, username: str, password: Secret, code: Secret) -> bool:
        """Whether the login fields still hold these values (compared in memory, never logged)."""
        import hmac

        expected = {
            "short_code": short_code,
            "user_name": username,
            "password": password.reveal(),
            "verification_code": code.reveal(),
        }
        for key, value in expected.items():
            if not hmac.compare_digest(str(self.require(key).input_value()).encode(), value.encode()):
                return False
        return True

    def captcha_image(self) -> Locator:
        """The captcha picture by its place: the image in the same form row or region as the captcha field (the
        nearest enclosing element that shows an image; the closest image when it shows several). The page map's
        ``captcha_image`` only when no image is near the field."""
        field = self.require("verification_code").first
        for level in range(1, 7):
            images = field.locator(f"xpath=ancestor::*[{level}]").locator("img").filter(visible=True)
            count = images.count()
            if count == 1:
                return images.first
            if count > 1:
                return images.nth(_closest(field, images))
        return self.require("captcha_image").first

    def captcha_png(self) -> bytes:
        """The captcha picture, once it has loaded (natural width > 0)."""
        image = self.captcha_image()
        try:
            image.page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0",
                arg=image.element_handle(),
                timeout=self.ctx.options.timeout_ms,
            )
        except PlaywrightError:
            raise self.ctx.drift(self.section, "the captcha picture", "it did not load") from None
        return bytes(image.screenshot())

    def captcha_address(self) -> str:
        """The captcha picture's address (a new picture has a new one)."""
        return str(self.captcha_image().get_attribute("src") or "")

    def refresh_captcha(self) -> None:
        self.click("refresh_captcha")


def _closest(field: Locator, images: Locator) -> int:
    """The index of the image in ``images`` nearest to ``field`` on the page."""
    box = field.bounding_box() or {"x": 0.0, "y": 0.0, "width": 0.0, "height": 0.0}
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    best, best_distance = 0, float("inf")
    for i in range(images.count()):
        other = images.nth(i).bounding_box()
        if other is None:
            continue
        dx, dy = other["x"] + other["width"] / 2 - cx, other["y"] + other["height"] / 2 - cy
        if dx * dx + dy * dy < best_distance:
            best, best_distance = i, dx * dx + dy * dy
    return best


class OtpScreen(Screen):
    section = "otp"

    def phone_hint(self) -> str:
        text = str(self.loc("screen").first.inner_text())
        found = re.search(r"(\+?\d[\d*xX ]{5,}\d)", text)
        return found.group(1) if found else "your phone"


class FirstLoginScreen(Screen):
    section = "first_login"

    def questions(self, key: str) -> list[str]:
        """The visible options of a security-question select, without placeholders."""
        locator = self.require(key)
        if str(locator.evaluate("e => e.tagName.toLowerCase()")) == "select":
            options = locator.locator("option").all_inner_texts()
        else:
            # A combobox names its (hidden until opened) listbox in aria-controls.
            listbox = str(locator.get_attribute("aria-controls") or "")
            options = self.scope().locator(f"[id='{listbox}'] [role=option]").all_text_contents() if listbox else []
        return [
            o.strip() for o in options if o.strip() and not o.strip().lower().startswith(("please", "--", "select"))
        ]


#: Whether a combobox shows ``option`` as chosen: its own value, or (Element Plus 2.5+, whose input stays empty) the
#: text next to it in the select's box (the nearest enclosing element with any text, a few levels up at most).
_SHOWS_JS = """(e, option) => {
    if ((e.value || '').trim() === option) return true;
    let node = e.parentElement;
    for (let level = 0; node && level < 4; level++, node = node.parentElement) {
        const text = (node.innerText || '').trim();
        if (text) return text === option;
    }
    return false;
}"""


class ShellScreen(Screen):
    section = "shell"


class SidebarScreen(Screen):
    """The current portal's left menu. Its entries are the page map's texts, found as a person finds them (a menu
    item, tree item, link or plain text in the menu: ``locate.menu_entry_now``), whatever opens a sub-menu."""

    section = "sidebar"

    def entry_text(self, key: str) -> str:
        return str(self.element(key).spec.get("text") or self.element(key).spec.get("name") or "")

    def open_item(self, key: str, *via: str) -> Locator:
        """The visible entry ``key``, after opening the sub-menus ``via`` (outermost first) when it is not shown: a
        sub-menu's title is pointed at first (a popup sub-menu opens on hover), and clicked when its next entry is
        still not shown (a sub-menu that opens on click; clicking an open one would close it). Drift when an entry
        does not come."""
        timeout = self.ctx.options.element_timeout_ms
        path = [*via, key]
        pointed: Locator | None = None  # the title the pointer rests on (a popup stays open while it does)
        if locate.menu_entry_now(self.page, self.entry_text(key)) is None:
            for title_key, next_key in itertools.pairwise(path):
                if locate.menu_entry_now(self.page, self.entry_text(next_key)) is not None:
                    continue
                title = locate.wait_menu_entry(self.page, self.entry_text(title_key), timeout)
                if title is None:
                    raise self.ctx.drift(self.section, f'the menu entry "{self.entry_text(title_key)}"')
                title.hover()
                pointed = title
                if locate.menu_entry_now(self.page, self.entry_text(next_key)) is None:
                    title.click()
        text = self.entry_text(key)
        deadline = time.monotonic() + timeout / 1000
        while (found := locate.menu_entry_now(self.page, text)) is None:
            if time.monotonic() >= deadline:
                locate.note_expired(f"menu entry {text}")
                raise self.ctx.drift(self.section, f'the menu entry "{text}"')
            if pointed is not None:
                # Something drew the pointer away (a notice closed by its OK): point at the title again.
                try:
                    pointed.hover(timeout=timeout)
                except PlaywrightError:
                    pointed = None
            areas = (frame.locator(locate.MENU_AREAS) for frame in locate.all_frames(self.page)[:1])
            locate.pause_on(area.get_by_text(text, exact=True) for area in areas)
        return found


# ---------------------------------------------------------------------------------------------------------------
# Screens in the work area (the classic portal's tab iframe)

#: Reads a grid by its column headers, whatever it is built of (a <table>, an ARIA grid of divs, or plain divs
#: under header texts): the header row is the element whose children's texts include every wanted header (texts
#: without sort markers, "*" and nodes hidden from assistive technology); the data rows are the later elements of
#: the same tag with as many children (a <tr> may have more). Returns null when no such header row is in ``root``.
_GRID_JS = """(root, wanted) => {
    const clean = n => {
        const copy = n.cloneNode(true);
        copy.querySelectorAll('[aria-hidden=true]').forEach(x => x.remove());
        const marks = /^[\\s*]+|[\\s*\\u25b2\\u25bc\\u25b4\\u25be\\u2191\\u2193\\u21c5\\u2195^]+$/g;
        return (copy.textContent || '').replace(/\\s+/g, ' ').replace(marks, '').trim();
    };
    const lower = wanted.map(w => w.toLowerCase());
    const all = [...root.querySelectorAll('*')];
    const header = all.find(e => {
        if (e.children.length < wanted.length) return false;
        const texts = [...e.children].map(c => clean(c).toLowerCase());
        return lower.every(w => texts.includes(w));
    });
    if (!header) return null;
    const tag = header.tagName.toLowerCase();
    const n = header.children.length;
    const fits = e => (tag === 'tr' ? e.children.length >= n : e.children.length === n);
    const same = all.filter(e => e.tagName.toLowerCase() === tag && fits(e));
    const at = same.indexOf(header);
    return {
        tag, n, at,
        header: [...header.children].map(clean),
        rows: same.slice(at + 1).map(r => [...r.children].map(clean)),
    };
}"""


class BrowseScreen(Screen):
    section = "browse"
    in_work_area = True


class OperatorsScreen(Screen):
    section = "operators"
    in_work_area = True

    def columns(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.map.value(self.section, "columns").items()}

    def read_grid(self) -> tuple[Locator, dict[str, Any]]:
        """The grid (its root and what it reads) in whichever frame shows it, waiting briefly; drift when absent."""
        wanted = list(self.columns().values())
        root_element = self.element("grid")
        deadline = time.monotonic() + self.ctx.options.element_timeout_ms / 1000
        while True:
            for frame in locate.all_frames(self.page, inner_first=True):
                shown = locate.visible_now(self.page, root_element.locate(frame))
                root = shown.first if shown is not None else frame.locator("body")
                try:
                    found = root.evaluate(_GRID_JS, wanted)
                except PlaywrightError:
                    continue
                if found:
                    return root, found
            if time.monotonic() >= deadline:
                raise self.ctx.drift(self.section, f"a grid with the columns {', '.join(wanted)}")
            locate.pause_on([root_element.locate(self.scope())])

    def table(self) -> list[dict[str, str]]:
        """The result grid as a list of {header: cell text}; empty when there are no records."""
        _root, found = self.read_grid()
        header: list[str] = found["header"]
        out = []
        for cells in found["rows"]:
            if len(cells) < len(header):
                continue  # "No records found." or a paging row
            out.append(dict(zip(header, cells, strict=False)))
        return out

    def row_locator(self, username: str) -> Locator:
        """The grid row whose user-name cell is ``username`` (case-insensitive)."""
        root, found = self.read_grid()
        header: list[str] = found["header"]
        index = [h.lower() for h in header].index(self.columns()["user_name"].lower())
        rows = root.locator(f"xpath=.//*[local-name()='{found['tag']}' and count(*)>={found['n']}]")
        if found["tag"] != "tr":
            rows = root.locator(f"xpath=.//*[local-name()='{found['tag']}' and count(*)={found['n']}]")
        for offset, cells in enumerate(found["rows"]):
            if len(cells) > index and cells[index].strip().lower() == username.lower():
                return rows.nth(found["at"] + 1 + offset)
        raise self.ctx.drift(self.section, f"the row of {username}")


class CreateOperatorScreen(Screen):
    section = "create"
    in_work_area = True


class OperatorInfoScreen(Screen):
    section = "operator_info"
    in_work_area = True


class MyPreferenceScreen(Screen):
    """My Preference (a tab of the classic shell; Basic Info under the current sidebar) and its Change Password
    dialog."""

    section = "my_preference"
    in_work_area = True


class ExpiredPasswordScreen(FirstLoginScreen):
    """The forced change at login after a password expired: the first-login screen's fields, no questions; its
    extra messages are the texts of ``[expired_password]``."""

    def said_on_expiry(self, key: str) -> Element:
        return self.said(key, section="expired_password")


class OperatorStatusScreen(Screen):
    """The Change Status dialog of Organization Operator Info."""

    section = "operator_status"
    in_work_area = True


def aria_snapshot(frame: Any) -> str:
    """The ARIA tree (roles, names, field values) of one frame's document, for ``portal check --record``."""
    return str(frame.locator("body").aria_snapshot())
