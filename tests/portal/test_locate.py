"""The locate layer on hand-made pages in real Chromium: lookups in every frame (any depth), the visible match,
late elements, deadlines; check boxes by the text beside them; grids by their column headers."""

from __future__ import annotations

import html
import time
from typing import Any

import pytest

from agent.portal import locate
from agent.portal.pagemap import Element
from agent.portal.screens import _GRID_JS

pytestmark = pytest.mark.browser

YES = Element("t", "yes", {"role": "button", "name": "Yes"})


def frame(body: str) -> str:
    return f'<iframe srcdoc="{html.escape(body, quote=True)}"></iframe>'


def test_a_button_two_frames_deep_is_found(page: Any) -> None:
    page.set_content("<p>top</p>" + frame("<p>middle</p>" + frame('<span role="button">Yes</span>')))
    found = locate.wait_visible(page, YES, 5000)
    assert found is not None
    assert found.count() == 1
    assert found.first.evaluate("e => e.ownerDocument.defaultView.frameElement !== null")
    assert locate.frame_name(page.main_frame) == "the top document"


def test_the_visible_match_wins_over_a_hidden_one(page: Any) -> None:
    page.set_content(
        '<button hidden>Yes</button><button style="display:none">Yes</button>' + frame("<button>Yes</button>")
    )
    found = locate.wait_visible(page, YES, 5000)
    assert found is not None
    assert found.count() == 1
    assert found.first.is_visible()


def test_a_late_element_is_waited_for_and_an_absent_one_ends_at_the_deadline(page: Any) -> None:
    page.set_content(
        "<script>setTimeout(() => document.body.insertAdjacentHTML('beforeend', "
        "'<a role=button href=#>Yes</a>'), 400)</script>"
    )
    assert locate.visible_now(page, YES) is None
    assert locate.wait_visible(page, YES, 5000) is not None
    started = time.monotonic()
    missing = Element("t", "no", {"role": "button", "name": "Never"})
    assert locate.wait_visible(page, missing, 600) is None
    assert 0.5 < time.monotonic() - started < 3


def test_wait_any_returns_the_first_target_shown_in_any_frame(page: Any) -> None:
    page.set_content("<p>Working</p>" + frame('<div role="dialog"><p>Operation succeeded.</p></div>'))
    done = Element("t", "done", {"text": "operation succeeded", "partial": True})
    found = locate.wait_any(page, {"yes": YES, "done": done}, 3000)
    assert found is not None
    assert found[0] == "done"


CHECKS = """
<ul>
  <li><input type="checkbox"><span>Business Manager</span></li>
  <li><span role="checkbox" aria-checked="false" tabindex="0"
        onclick="this.setAttribute('aria-checked', this.getAttribute('aria-checked') === 'true' ? 'false' : 'true')"
        style="display:inline-block;width:12px;height:12px;border:1px solid"></span>
      <span>Org Reversals Initiator</span></li>
  <li><input type="checkbox" id="named"><label for="named">Web</label></li>
  <li><input type="checkbox"><input type="checkbox"><span>Two Boxes</span></li>
</ul>
"""


@pytest.mark.parametrize("text", ["Business Manager", "org reversals initiator", "Web"])
def test_a_checkbox_is_found_by_the_text_beside_it_and_ticked(page: Any, text: str) -> None:
    page.set_content(frame(CHECKS))
    inner = page.frames[1]
    box = locate.checkbox_beside(inner, text)
    assert box is not None
    assert not box.is_checked()
    locate.tick(box)
    assert box.is_checked()
    locate.tick(box)  # already checked: left checked
    assert box.is_checked()


def test_an_item_with_two_boxes_is_not_guessed(page: Any) -> None:
    page.set_content(CHECKS)
    assert locate.checkbox_beside(page, "Two Boxes") is None
    assert locate.checkbox_beside(page, "Nobody") is None


WANTED = ["User Name", "Role", "Status"]
TABLE = """<table><thead><tr><th>User Name<span aria-hidden="true">^</span></th><th>Role</th><th>* Status</th>
<th>Operation</th></tr></thead><tbody><tr><td>duka_web</td><td>Business Manager</td><td>Active</td><td></td></tr>
<tr><td colspan="4">No records found.</td></tr></tbody></table>"""
ARIA = """<div role="grid"><div role="rowgroup"><div role="row"><div role="columnheader">User Name</div>
<div role="columnheader">Role</div><div role="columnheader">Status</div></div></div><div role="rowgroup">
<div role="row"><div role="gridcell">duka_web</div><div role="gridcell">Business Manager</div>
<div role="gridcell">Active</div></div></div></div>"""
DIVS = """<div class="form"><label>User Name <input></label></div><div class="g"><div class="h"><div>User Name
<span>&#9650;</span></div><div>Role*</div><div>Status &#9660;</div></div><div class="r"><div>duka_web</div>
<div>Business Manager</div><div>Active</div></div><div class="r"><div>duka_api</div><div>Org Reversals Initiator</div>
<div>New</div></div></div>"""


@pytest.mark.parametrize("markup", [TABLE, ARIA, DIVS], ids=["table", "aria", "divs"])
def test_a_grid_is_read_by_its_column_headers(page: Any, markup: str) -> None:
    page.set_content(markup)
    found = page.locator("body").evaluate(_GRID_JS, WANTED)
    assert found is not None
    assert found["header"][:3] == WANTED
    rows = [dict(zip(found["header"], cells, strict=False)) for cells in found["rows"] if len(cells) >= 3]
    assert rows[0] == {**rows[0], "User Name": "duka_web", "Role": "Business Manager", "Status": "Active"}
    # the locator the screen builds for a row points at that row
    tag, n, at = found["tag"], found["n"], found["at"]
    op = "count(*)>=" if tag == "tr" else "count(*)="
    row = page.locator(f"xpath=.//*[local-name()='{tag}' and {op}{n}]").nth(at + 1)
    assert "duka_web" in row.inner_text()


def test_no_grid_without_every_header(page: Any) -> None:
    page.set_content(TABLE)
    assert page.locator("body").evaluate(_GRID_JS, [*WANTED, "Operator ID"]) is None


# -- sidebar entries: Search › Organization Operator, however the menu is built and opened -------------------------

#: How an entry is written (title and items alike), per kind, and the containers that hold the menu and a sub-menu.
ENTRY = {
    "menuitem": '<li role="menuitem" tabindex="-1" {attrs}>{text}</li>',
    "treeitem": '<li role="treeitem" {attrs}>{text}</li>',
    "link": '<li><a href="#" {attrs}>{text}</a></li>',
    "text": "<li {attrs}><span>{text}</span></li>",
}
MENU = {
    "menuitem": ('<ul role="menubar">', '<ul role="menu"', "</ul>"),
    "treeitem": ('<ul role="tree">', '<ul role="group"', "</ul>"),
    "link": ("<nav><ul>", "<ul", "</ul></nav>"),
    "text": ("<aside><ul>", "<ul", "</ul></aside>"),
}
CHOSEN = "onclick=\"event.preventDefault(); document.body.dataset.opened = 'yes'\""
#: A breadcrumb and a page button repeat the menu's words; neither is the menu.
DECOYS = (
    '<nav aria-label="Breadcrumb"><span>Search</span> / <span>Organization Operator</span></nav>'
    "<button onclick=\"document.body.dataset.opened = 'decoy'\">Search</button>"
)
HOVER_JS = """
const title = document.getElementById('title'), popup = document.getElementById('popup');
let timer = null;
const later = open => { clearTimeout(timer); timer = setTimeout(() => { popup.hidden = !open; }, 300); };
for (const e of [title, popup]) { e.onmouseenter = () => later(true); e.onmouseleave = () => later(false); }
"""


#: A popup that opens as soon as the pointer enters the title, and that a click on the title toggles (closes when
#: open): clicking a title that hovering opened already would close it again.
HOVER_TOGGLE_JS = """
const title = document.getElementById('title'), popup = document.getElementById('popup');
title.onmouseenter = () => { popup.hidden = false; };
title.onclick = () => { popup.hidden = !popup.hidden; };
"""


def menu_page(kind: str, opens: str) -> str:
    """A sidebar whose "Search" sub-menu is open already, opens on a click of its title, or is a popup at the end of
    <body> that opens a moment after the pointer enters the title (and not on a click), or at once on hover and
    toggled by a click ("hover-toggle")."""
    start, sub, end = MENU[kind]
    item = ENTRY[kind].format(text="Organization Operator", attrs=CHOSEN)
    toggle = "onclick=\"document.getElementById('sub').hidden = !document.getElementById('sub').hidden\""
    title = ENTRY[kind].format(text="Search", attrs='id="title" ' + (toggle if opens == "click" else ""))
    if opens.startswith("hover"):
        menu = f"{start}{title}{end}"
        popup = f'<ul role="menu" id="popup" hidden>{item}</ul>'
        script = HOVER_JS if opens == "hover" else HOVER_TOGGLE_JS
        return f"{DECOYS}{menu}<main><p>Home</p></main>{popup}<script>{script}</script>"
    hidden = " hidden" if opens == "click" else ""
    # the sub-menu follows its title (inside the title's entry would change a menu item's name while it is open)
    menu = f'{start}{title}{sub} id="sub"{hidden}>{item}</ul>{end}'
    return f"{DECOYS}{menu}<main><p>Home</p></main>"


SIDEBAR_CASES = [
    (k, o) for k in ENTRY for o in ("open", "click", "hover", "hover-toggle") if not (k == "treeitem" and "hover" in o)
]


@pytest.mark.parametrize(("kind", "opens"), SIDEBAR_CASES, ids=[f"{k}-{o}" for k, o in SIDEBAR_CASES])
def test_a_sidebar_entry_is_found_and_its_sub_menu_opened_as_a_person_does(page: Any, kind: str, opens: str) -> None:
    from agent.portal.browser import BrowserOptions
    from agent.portal.pagemap import PageMap
    from agent.portal.screens import PortalContext, SidebarScreen

    class _Browser:
        def __init__(self, page: Any) -> None:
            self.page = page

        def failure_screenshot(self, _name: str) -> str:
            return ""

    sidebar_map = {"search": {"text": "Search"}, "organization_operator": {"text": "Organization Operator"}}
    ctx = PortalContext(
        _Browser(page),  # type: ignore[arg-type]
        PageMap(
            "current",
            {"current": {"capabilities": PageMap.load("current").data["capabilities"], "sidebar": sidebar_map}},
        ),
        "http://localhost",
        BrowserOptions(element_timeout_ms=3000),
    )
    page.set_content(menu_page(kind, opens))
    shown = locate.menu_entry_now(page, "Organization Operator")
    assert (shown is not None) == (opens == "open")  # else only the breadcrumb shows it, and that is not the menu
    locate.expired_waits(reset=True)
    SidebarScreen(ctx).open_item("organization_operator", "search").click()
    page.wait_for_function("document.body.dataset.opened !== undefined", timeout=3000)
    assert page.evaluate("document.body.dataset.opened") == "yes"
    assert locate.expired_waits(reset=True) == []
