"""The sandbox portal's markup knob: parsing specs, the /__sim/markup route, and each axis's structural change.

Each axis test renders a screen in that mode with the Flask test client and asserts the structural difference
against the default markup, and that the visible text stays the same.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from agent.sandbox.portal.app import create_app
from agent.sandbox.portal.client import SandboxControl, SandboxControlError
from agent.sandbox.portal.markup import MARKUP_MODES, Markup, parse_markup
from agent.sandbox.portal.state import PortalState
from tests.sandbox.portal_http import PortalBrowser, page_text
from tests.sandbox.test_current_http import CurrentWeb

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


# -------------------------------------------------------------------------------------------------------------
# helpers: render a screen in a markup and look at its elements

Element = tuple[str, dict[str, str]]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def elements(html: str) -> list[Element]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def with_role(html: str, role: str) -> list[dict[str, str]]:
    return [attrs for _tag, attrs in elements(html) if attrs.get("role") == role]


def text(html: str) -> str:
    """The visible text without generated ids (they differ between two sandboxes)."""
    return re.sub(r"\d{15,}", "ID", page_text_of(html))


def page_text_of(html: str) -> str:
    class _Response:
        def get_data(self, as_text: bool = True) -> str:
            return html

    return page_text(_Response())  # type: ignore[arg-type]


def logged_in(markup: str, skin: str = "classic") -> PortalBrowser:
    web = browser(markup, skin)
    web.login()
    return web


def operator_list(web: PortalBrowser) -> str:
    return web.http.get("/browseOrg/operators.action?search=1").get_data(as_text=True)


def select_role_dialog(web: PortalBrowser) -> str:
    web.http.get("/operator/create.action")
    web.wizard_step("identity", language="English (Kenya)", channel="API", username="abc_api", action="next")
    return web.wizard_step("assign", action="open_roles").get_data(as_text=True)


def identity_step(web: PortalBrowser) -> str:
    return web.http.get("/operator/create.action?step=identity").get_data(as_text=True)


# -------------------------------------------------------------------------------------------------------------
# classic: grids


def test_default_operator_list_is_a_table() -> None:
    html = operator_list(logged_in("default"))
    assert "<table" in html
    assert not with_role(html, "grid")


def test_grid_aria_builds_the_operator_list_of_divs_with_grid_roles() -> None:
    default = operator_list(logged_in("default"))
    html = operator_list(logged_in("grid-aria"))
    assert "<table" not in html
    assert "<td" not in html
    assert len(with_role(html, "grid")) == 1
    assert len(with_role(html, "columnheader")) == 13
    assert len(with_role(html, "gridcell")) == 13  # one operator (the administrator)
    assert len(with_role(html, "row")) == 2
    assert text(html) == text(default)


def test_grid_div_builds_the_operator_list_of_plain_divs_with_visible_sort_markers() -> None:
    default = operator_list(logged_in("default"))
    html = operator_list(logged_in("grid-div"))
    assert "<table" not in html
    for role in ("grid", "row", "columnheader", "gridcell", "rowgroup"):
        assert not with_role(html, role)
    assert "User Name | ▲" in text(html)
    assert text(html).replace(" | ▲", "") == text(default).replace(" | ^", "")
    roles = select_role_dialog(logged_in("grid-div"))
    assert "<table" not in roles.split('id="select-role-dialog"')[1].split("dialog-buttons")[0]


def test_grid_markup_keeps_the_select_role_dialog_working() -> None:
    web = logged_in("grid-aria")
    select_role_dialog(web)
    page = web.wizard_step("assign", action="add_roles", role="Balance Query ORG API").get_data(as_text=True)
    assert "Balance Query ORG API" in [c.strip() for c in re.findall(r'role="gridcell">([^<]*)<', page)]


# -------------------------------------------------------------------------------------------------------------
# classic: checkboxes


def _role_boxes(html: str) -> list[Element]:
    return [(tag, a) for tag, a in elements(html) if a.get("name") == "role" or a.get("data-check-name") == "role"]


def test_default_role_checkboxes_are_named_by_a_label() -> None:
    html = select_role_dialog(logged_in("default"))
    boxes = _role_boxes(html)
    assert boxes
    for _tag, attrs in boxes:
        assert attrs["type"] == "checkbox"
        assert f'<label for="{attrs["id"]}">' in html


def test_checkbox_unnamed_leaves_role_and_channel_boxes_without_a_name() -> None:
    web = logged_in("checkbox-unnamed")
    html = select_role_dialog(web)
    boxes = _role_boxes(html)
    assert boxes
    for tag, attrs in boxes:
        assert tag == "input"
        assert attrs["type"] == "checkbox"
        assert not {"id", "aria-label", "aria-labelledby", "title"} & set(attrs)
    assert '<label for="selectRole' not in html
    assert '<span class="check-text">Balance Query ORG API</span>' in html
    assert text(html) == text(select_role_dialog(logged_in("default")))
    identity = identity_step(web)
    assert '<label for="channelWeb"' not in identity
    assert 'id="channelWeb"' not in identity
    assert '<span class="check-text">Web</span>' in identity


def test_checkbox_aria_boxes_are_spans_with_a_hidden_value_and_submit_the_same() -> None:
    web = logged_in("checkbox-aria")
    html = select_role_dialog(web)
    spans = with_role(html, "checkbox")
    assert spans
    assert all(a["aria-checked"] == "false" for a in spans)
    assert all(a["aria-labelledby"] == a["id"] + "-text" for a in spans)
    assert not [a for _t, a in elements(html) if a.get("type") == "checkbox" and a.get("name") == "role"]
    hidden = [a for _t, a in elements(html) if a.get("type") == "hidden" and a.get("name") == "role"]
    assert len(hidden) == len(spans)
    assert all("disabled" in a for a in hidden)  # unchecked: not submitted until ticked
    page = web.wizard_step("assign", action="add_roles", role="Balance Query ORG API").get_data(as_text=True)
    assert "Balance Query ORG API" in page_text_of(page)
    again = web.wizard_step("assign", action="open_roles").get_data(as_text=True)
    held = [a for a in with_role(again, "checkbox") if a.get("aria-checked") == "true"]
    assert [a.get("aria-disabled") for a in held] == ["true"]


def test_checkbox_aria_and_unnamed_together_give_unnamed_aria_boxes() -> None:
    html = identity_step(logged_in("checkbox-aria,checkbox-unnamed"))
    spans = with_role(html, "checkbox")
    assert len(spans) == 2
    assert all("aria-labelledby" not in a and "aria-label" not in a for a in spans)


# -------------------------------------------------------------------------------------------------------------
# both skins: the captcha image


LOGIN_PAGE = {"classic": "/orglogin.action", "current": "/orgportal/v1/view/login"}


def _images(html: str) -> list[dict[str, str]]:
    return [a for tag, a in elements(html) if tag == "img" and re.search("verif|captcha", a.get("src", ""), re.I)]


@pytest.mark.parametrize("skin", ["classic", "current"])
def test_captcha_unnamed_leaves_the_captcha_image_without_a_name(skin: str) -> None:
    path = LOGIN_PAGE[skin]
    default = _images(browser("default", skin).http.get(path).get_data(as_text=True))
    assert [a.get("alt") for a in default] == ["Verification code image"]
    html = browser("captcha-unnamed", skin).http.get(path).get_data(as_text=True)
    images = _images(html)
    assert len(images) == 1
    assert not {"alt", "aria-label", "aria-labelledby", "title"} & set(images[0])


# -------------------------------------------------------------------------------------------------------------
# classic: frames, late, buttons, icons, the markup attribute


def _home(web: PortalBrowser) -> str:
    return web.http.get("/home.action").get_data(as_text=True)


def test_default_pages_carry_no_markup_attribute_and_the_shell_has_one_iframe() -> None:
    web = logged_in("default")
    shell = _home(web)
    assert "data-markup" not in shell
    assert shell.count("<iframe") == 1
    assert web.http.get("/nest.action?src=/homepage.action").status_code == 404


def test_frames_0_serves_every_page_as_a_top_level_page_with_the_shell() -> None:
    web = logged_in("frames-0")
    home = _home(web)
    assert "<iframe" not in home
    assert 'data-inline="true"' in home
    assert "Welcome to M-PESA Organization Portal" in home
    assert 'role="menubar"' in home
    page = operator_list(web)
    assert "<iframe" not in page
    assert 'role="menubar"' in page
    assert "Search for Organization Operator" in page
    assert 'id="logout-dialog"' in page


def test_frames_2_nests_the_tab_page_in_a_second_iframe() -> None:
    web = logged_in("frames-2")
    home = _home(web)
    src = re.search(r'<iframe name="tab-home" title="Home" src="([^"]+)"', home)
    assert src is not None
    assert src.group(1).startswith("/nest.action?")
    nest = web.http.get(src.group(1).replace("&amp;", "&")).get_data(as_text=True)
    inner = re.search(r'<iframe class="nested-frame" name="tab-home-content" title="Home" src="([^"]+)"', nest)
    assert inner is not None
    assert inner.group(1) == "/homepage.action"
    assert web.http.get("/nest.action?src=//evil.example/").status_code == 404


def test_late_sends_the_content_in_a_template_that_the_script_reveals() -> None:
    web = logged_in("late")
    page = operator_list(web)
    body = page.split("<body", 1)[1]
    assert re.match(r"[^>]*>\s*<template data-late>", body)
    assert "Search for Organization Operator" in body.split("<template data-late>", 1)[1]
    login = browser("late").http.get("/orglogin.action").get_data(as_text=True)
    assert "<template data-late>" in login


@pytest.mark.parametrize(("axis", "tag"), [("buttons-link", "a"), ("buttons-span", "span")])
def test_buttons_become_role_button_elements_that_carry_name_and_value(axis: str, tag: str) -> None:
    web = browser(axis)
    login = web.http.get("/orglogin.action").get_data(as_text=True)
    assert "<button" not in login
    assert re.search(
        rf'<{tag} role="button" tabindex="0" data-button-type="submit" class="btn btn-primary btn-login">', login
    )
    web.login()
    html = select_role_dialog(web)
    assert "<button" not in html
    assert re.search(
        rf'<{tag} role="button"[^>]* data-button-name="action" data-button-value="add_roles"[^>]*>OK</{tag}>', html
    )
    assert text(html) == text(select_role_dialog(logged_in("default")))


def test_buttons_keep_disabled_as_aria_disabled() -> None:
    web = logged_in("buttons-span")
    detail = web.http.get(f"/operator/detail.action?id={web.operator_id('sandboxadmin')}").get_data(as_text=True)
    set_password = re.search(r'<span role="button"[^>]*>Set Password</span>', detail)
    assert set_password is not None  # greyed for the administrator (reference: only a manager sets it)
    assert 'tabindex="-1"' in set_password.group(0)
    assert 'aria-disabled="true"' in set_password.group(0)
    reset = re.search(r"<span role=\"button\"[^>]*>Create Task</span>", detail)
    assert reset is not None
    assert "aria-disabled" not in reset.group(0)


def test_icons_leave_row_actions_named_only_by_their_title() -> None:
    page = operator_list(logged_in("icons"))
    details = [a for _t, a in elements(page) if "icon-details" in a.get("class", "")]
    assert len(details) == 1
    assert details[0]["title"] == "Details"
    assert "aria-label" not in details[0]
    assert "href" not in details[0]
    web = logged_in("icons")
    select_role_dialog(web)
    html = web.wizard_step("assign", action="add_roles", role="Balance Query ORG API").get_data(as_text=True)
    remove = [a for _t, a in elements(html) if "icon-remove" in a.get("class", "")]
    assert [(a["title"], "aria-label" in a) for a in remove] == [("Remove", False)]


def test_non_default_pages_name_their_markup_for_the_script() -> None:
    assert 'data-markup="confirm,inpage"' in browser("inpage,confirm").http.get("/orglogin.action").get_data(
        as_text=True
    )


def test_rewritten_buttons_keep_a_role_they_already_have() -> None:
    home = _home(logged_in("buttons-link"))
    assert re.search(r'<a role="menuitem" tabindex="0" data-button-type="button" class="menu-top"[^>]*>Search<', home)
    assert 'role="button" role=' not in home


# -------------------------------------------------------------------------------------------------------------
# current skin


def current(markup: str) -> CurrentWeb:
    return CurrentWeb(create_app(PortalState(), mode="test", skin="current", markup=markup))


def current_operators(markup: str) -> str:
    web = current(markup)
    web.login()
    return web.view("/search/organizationOperator?userName=%25").get_data(as_text=True)


def test_current_grid_aria_builds_the_operator_table_of_divs_with_grid_roles() -> None:
    default = current_operators("default").split('aria-label="Query result"')[1].split("el-pagination")[0]
    assert "<table" in default
    html = current_operators("grid-aria")
    result = html.split('aria-label="Query result"')[1].split("el-pagination")[0]
    assert "<table" not in result
    assert len(with_role(html, "grid")) == 1
    headers = default.count('<th class="el-table__cell" scope="col">')
    assert headers == 14
    assert len(with_role(html, "columnheader")) == headers
    assert len(with_role(html, "gridcell")) == headers
    assert "sandboxadmin" in text(html)


def test_current_menu_collapsed_leaves_every_sub_menu_closed() -> None:
    default = current_operators("default")
    assert "is-opened" in default
    html = current_operators("menu-collapsed")
    assert "is-opened" not in html
    menus = [a for tag, a in elements(html) if tag == "ul" and a.get("role") == "menu"]
    assert menus
    assert all("hidden" in a for a in menus)
    assert text(html) == text(default)


def test_current_toasts_turn_alerts_into_vanishing_toasts() -> None:
    def wrong_captcha(markup: str) -> str:
        return current(markup).submit_login(code="0000").get_data(as_text=True)

    default = wrong_captcha("default")
    assert "el-alert" in default
    html = wrong_captcha("toasts")
    assert "el-alert" not in html
    toasts = [a for _t, a in elements(html) if "el-message" in a.get("class", "").split()]
    assert toasts
    assert all(a["data-autoclose"] == "3000" for a in toasts)


@pytest.mark.parametrize(
    "markup", ["confirm", "late", "notice-mask", "menu-hover", "select-teleport", "captcha-clears", "hard"]
)
def test_current_script_axes_are_named_on_the_app_shell(markup: str) -> None:
    shell = current(markup).http.get("/").get_data(as_text=True)
    spec = re.search(r'<html lang="en" data-markup="([^"]+)">', shell)
    assert spec is not None
    assert markup in spec.group(1).split(",") or markup == "hard"
    assert "data-markup" not in current("default").http.get("/").get_data(as_text=True)


def test_the_control_client_switches_a_running_sandbox(sim: SandboxControl) -> None:
    assert sim.markup() == "default"
    assert sim.markup("grid-div, icons") == "grid-div,icons"
    assert sim.markup() == "grid-div,icons"
    sim.reset()
    assert sim.markup() == "grid-div,icons"  # the markup is the portal's build, not its state
    with pytest.raises(SandboxControlError, match="toasts"):
        sim.markup("toasts")


def current_home(markup: str) -> str:
    web = current(markup)
    return web.login().get_data(as_text=True)


def test_current_menu_hover_builds_popup_sub_menus_outside_the_menubar() -> None:
    default = current_home("default")
    html = current_home("menu-hover")
    # default: each sub-menu holds its items in an inline menu; the menu sits in a "Main menu" landmark
    assert 'aria-label="Main menu"' in default
    assert "data-menu-popup" not in default
    assert 'aria-label="Main menu"' not in html
    assert "el-menu--inline" not in html
    sub_menus = [a for _t, a in elements(html) if "data-sub-menu" in a]
    popups = [a for _t, a in elements(html) if "data-menu-popup" in a]
    assert len(sub_menus) == len(popups) == 3  # a Business Administrator's Search, Business Center, My Preference
    assert [a["data-popup"] for a in sub_menus] == [a["id"] for a in popups]
    assert all(a["aria-expanded"] == "false" for a in sub_menus)
    assert all("hidden" in a for a in popups)

    # the same entries, only built differently
    def items(page: str) -> list[str]:
        return sorted(re.findall(r'role="menuitem" tabindex="-1" data-route="[^"]*">([^<]+)<', page))

    assert items(html) == items(default)
    assert "Organization Operator" in items(html)


def test_current_select_teleport_shows_the_choice_in_a_span_and_leaves_the_combobox_empty() -> None:
    default = current_operators("default")
    html = current_operators("select-teleport")
    assert re.search(r'id="searchStatus" role="combobox" readonly value="" placeholder="All"', default)
    combobox = re.search(r'<input class="el-select__input" id="searchStatus" role="combobox"[^>]*>', html)
    assert combobox is not None
    assert 'value=""' in combobox.group(0)
    assert "placeholder" not in combobox.group(0)
    assert 'aria-controls="searchStatus-listbox"' in combobox.group(0)
    assert re.search(r"<span data-select-shown>All</span>", html)
    # the listbox is in the page (app.js moves it to the end of <body>), with the same options
    assert html.count('role="option"') == default.count('role="option"')


def test_current_routes_history_serves_the_app_at_every_route_path() -> None:
    default = current("default").http
    history = current("routes-history").http
    for path in ("/login", "/home", "/search/organizationOperator", "/search/organizationOperator/detail",
                 "/myPreference/basicInfo", "/no/such/page"):  # fmt: skip
        assert default.get(path).status_code == 404, path
        served = history.get(path)
        assert served.status_code == 200, path
        assert 'data-markup="routes-history"' in served.get_data(as_text=True)
        assert 'id="app"' in served.get_data(as_text=True)
    for path in ("/orgportal/v1/nothing", "/static/none.js", "/__sim/nothing"):
        assert history.get(path).status_code == 404, path
    assert default.get("/orglogin.action").location.startswith("/#/login?transaction_service=")
    assert history.get("/orglogin.action").location.startswith("/login?transaction_service=")
    assert history.get("/orgportal/v1/sso/home").location == "/home"
    assert current("default").http.get("/orgportal/v1/sso/home").location == "/#/home"
    login = current("routes-history").view("/login").get_data(as_text=True)
    assert 'href="/forgotPassword"' in login
    assert 'href="#/forgotPassword"' in current("default").view("/login").get_data(as_text=True)
