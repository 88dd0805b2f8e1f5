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
