"""The sandbox portal's markup knob: parsing specs, the /__sim/markup route, and each axis's structural change.

Each axis test renders a screen in that mode with the Flask test client and asserts the structural difference
against the default markup, and that the visible text stays the same.
"""

from __future__ import annotations

import pytest

from agent.sandbox.portal.app import create_app
from agent.sandbox.portal.markup import MARKUP_MODES, Markup, parse_markup
from agent.sandbox.portal.state import PortalState
from tests.sandbox.portal_http import PortalBrowser

pytestmark = pytest.mark.unit


def browser(markup: str, skin: str = "classic") -> PortalBrowser:
    return PortalBrowser(create_app(PortalState(), mode="test", skin=skin, markup=markup))


def test_presets_and_axis_lists_parse() -> None:
    assert parse_markup("default") == Markup()
    assert parse_markup("default").is_default
    assert parse_markup(" grid-div , confirm ").axes == ("grid-div", "confirm")
    assert parse_markup("grid-div,confirm").spec == "grid-div,confirm"
    for skin, axes in MARKUP_MODES.items():
        assert set(parse_markup("hard", skin=skin).axes) == set(axes)
        for axis in axes:
            assert parse_markup(axis, skin=skin).axes == (axis,)
    assert set(parse_markup("hard").axes) == set(MARKUP_MODES["classic"]) | set(MARKUP_MODES["current"])


def test_unknown_axes_are_named() -> None:
    with pytest.raises(ValueError, match="'grid-tabel'"):
        parse_markup("grid-aria,grid-tabel")
    with pytest.raises(ValueError, match=r"'frames-2'.*current"):
        parse_markup("frames-2", skin="current")
    with pytest.raises(ValueError, match="'toasts'"):
        create_app(PortalState(), mode="test", skin="classic", markup="toasts")


def test_alternatives_resolve_to_the_second_when_both_are_on() -> None:
    hard = parse_markup("hard", skin="classic")
    assert (hard.grid, hard.frames, hard.buttons) == ("div", 2, "span")
    assert (Markup().grid, Markup().frames, Markup().buttons) == ("table", 1, "button")


def test_a_markup_object_is_cut_to_the_skin() -> None:
    app = create_app(PortalState(), mode="test", skin="current", markup=parse_markup("hard"))
    assert set(app.test_client().get("/__sim/markup").json["axes"]) == set(MARKUP_MODES["current"])


def test_control_route_reads_and_switches_the_markup() -> None:
    web = browser("grid-aria")
    assert web.sim("markup") == {"markup": "grid-aria", "axes": ["grid-aria"], "valid": list(MARKUP_MODES["classic"])}
    assert web.sim_post("markup", {"markup": "hard"}).json["axes"] == list(MARKUP_MODES["classic"])
    response = web.sim_post("markup", {"markup": "menu-collapsed"})
    assert response.status_code == 400
    assert "'menu-collapsed'" in response.json["error"]
    assert web.sim_post("markup", {}).status_code == 400
    assert web.sim_post("markup", {"markup": "default"}).json["markup"] == "default"


def test_portal_mode_has_no_markup_route() -> None:
    app = create_app(PortalState(), mode="portal", markup="hard")
    assert app.test_client().get("/__sim/markup").status_code == 404
