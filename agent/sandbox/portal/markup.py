"""The sandbox portal's markup knob: the same screens, labels and state machine, built in different structures.

A ``Markup`` has one boolean per *axis*: a structural choice a real portal may make that our default pages do not
(an ARIA grid instead of a ``<table>``, an unnamed checkbox, a confirmation after Submit, ...). ``parse_markup``
turns a spec (a comma-separated list of axis names, or a preset: ``default`` = none, ``hard`` = all) into one.
``MARKUP_MODES`` lists, per skin, the axis names that skin renders. Templates read the knob as ``markup``; the
automation must never read it (it only changes structure, never visible texts, labels, steps or states).

Classic axes: ``grid-aria`` (operator/role grids as ARIA grid/row/columnheader/gridcell divs), ``grid-div`` (plain
divs; headers show "▲" sort markers, the assign step's "Role*"), ``checkbox-unnamed`` (role and Access Channel boxes
with no accessible name; the text is a sibling span), ``checkbox-aria`` (``<span role=checkbox aria-checked>`` with a
hidden input), ``captcha-unnamed`` (no alt on the captcha image), ``frames-0`` (no iframe: each page is a top-level
page with the shell around it), ``frames-2`` (a tab's page in an iframe inside its iframe), ``dialogs-top`` (dialogs
move to the top document), ``confirm`` ("Are you sure you want to submit?" before a Submit/Confirm), ``late`` (the
page's content appears 200-600 ms after load), ``inpage`` (forms sent with fetch, the body replaced in place),
``icons`` (row actions named only by ``title``), ``buttons-link``/``buttons-span`` (every ``<button>`` written as
``<a role=button>``/``<span role=button>``). Current axes: ``grid-aria``, ``captcha-unnamed``, ``confirm``, ``late``
(views render 200-600 ms after the answer), ``menu-collapsed`` (no sub-menu open until clicked), ``notice-mask``
(the post-login notice pops up a moment later, closable only by OK, its mask blocking every click), ``toasts``
(alerts only as toasts that vanish after 3 s), ``menu-hover`` (sub-menus are Element Plus popups appended at the end
of ``<body>``, opened only by hovering the title; clicking it does nothing; the sidebar is a bare ``role=menubar``
list with no named navigation landmark), ``select-teleport`` (every select's listbox of options renders in a popper
at the end of ``<body>``, outside the form; the chosen option shows in a span, not in the combobox input),
``routes-history`` (history-API paths such as ``/search/organizationOperator`` instead of hash routes; the server
serves the app at every such path) and ``captcha-clears`` (each time the captcha image loads or reloads, the login
form's fields, the verification code included, are cleared once, a moment later).

Where two axes of a skin are alternatives (``grid-aria``/``grid-div``, ``frames-0``/``frames-2``,
``buttons-link``/``buttons-span``) and both are on (as in ``hard``), the rendering uses the second.
"""

from __future__ import annotations

import dataclasses
import re

DEFAULT = "default"
HARD = "hard"
PRESETS = (DEFAULT, HARD)

MARKUP_MODES: dict[str, tuple[str, ...]] = {
    "classic": (
        "grid-aria",
        "grid-div",
        "checkbox-unnamed",
        "checkbox-aria",
        "captcha-unnamed",
        "frames-0",
        "frames-2",
        "dialogs-top",
        "confirm",
        "late",
        "inpage",
        "icons",
        "buttons-link",
        "buttons-span",
    ),
    "current": (
        "grid-aria",
        "captcha-unnamed",
        "confirm",
        "late",
        "menu-collapsed",
        "notice-mask",
        "toasts",
        "menu-hover",
        "select-teleport",
        "routes-history",
        "captcha-clears",
    ),
}


@dataclasses.dataclass(frozen=True)
class Markup:
    """Which structural axes are on (all off = the default markup, rendered exactly as before the knob)."""

    grid_aria: bool = False
    grid_div: bool = False
    checkbox_unnamed: bool = False
    checkbox_aria: bool = False
    captcha_unnamed: bool = False
    frames_0: bool = False
    frames_2: bool = False
    dialogs_top: bool = False
    confirm: bool = False
    late: bool = False
    inpage: bool = False
    icons: bool = False
    buttons_link: bool = False
    buttons_span: bool = False
    menu_collapsed: bool = False
    notice_mask: bool = False
    toasts: bool = False
    menu_hover: bool = False
    select_teleport: bool = False
    routes_history: bool = False
    captcha_clears: bool = False

    @property
    def axes(self) -> tuple[str, ...]:
        """The axis names that are on, in declaration order."""
        return tuple(_axis(f.name) for f in dataclasses.fields(self) if getattr(self, f.name))

    @property
    def spec(self) -> str:
        """A spec that ``parse_markup`` turns back into this markup ("default" when no axis is on)."""
        return ",".join(self.axes) or DEFAULT

    @property
    def is_default(self) -> bool:
        return not self.axes

    def for_skin(self, skin: str) -> Markup:
        """This markup without the axes ``skin`` does not render."""
        valid = MARKUP_MODES[skin]
        return Markup(**{f.name: getattr(self, f.name) and _axis(f.name) in valid for f in dataclasses.fields(self)})

    # the alternatives, resolved (see the module docstring)
    @property
    def grid(self) -> str:
        """How operator grids are built: "table", "aria" or "div"."""
        return "div" if self.grid_div else "aria" if self.grid_aria else "table"

    @property
    def frames(self) -> int:
        """How many iframe levels hold a tab's work area (classic): 0, 1 or 2."""
        return 2 if self.frames_2 else 0 if self.frames_0 else 1

    @property
    def buttons(self) -> str:
        """How buttons are built: "button", "link" (``<a role=button>``) or "span" (``<span role=button>``)."""
        return "span" if self.buttons_span else "link" if self.buttons_link else "button"


def _axis(field: str) -> str:
    return field.replace("_", "-")


ALL_AXES: tuple[str, ...] = tuple(_axis(f.name) for f in dataclasses.fields(Markup))


def parse_markup(spec: str, *, skin: str | None = None) -> Markup:
    """A ``Markup`` from ``"default"``, ``"hard"`` or ``"grid-aria,confirm"`` (commas, spaces ignored).

    With ``skin``, ``hard`` means every axis of that skin and an axis the skin does not render is an error; without
    it, ``hard`` means every axis of any skin. Raises ValueError naming an unknown axis.
    """
    if skin is not None and skin not in MARKUP_MODES:
        raise ValueError(f"unknown skin {skin!r}: expected one of {', '.join(MARKUP_MODES)}")
    valid = MARKUP_MODES[skin] if skin is not None else ALL_AXES
    on: set[str] = set()
    for raw in spec.split(","):
        name = raw.strip().lower()
        if name in ("", DEFAULT):
            continue
        if name == HARD:
            on.update(valid)
        elif name in valid:
            on.add(name)
        else:
            where = f"the {skin} skin" if skin is not None else "the sandbox portal"
            raise ValueError(
                f"unknown markup axis {name!r} for {where}: expected {', '.join(PRESETS)} or any of {', '.join(valid)}"
            )
    return Markup(**{f.name: _axis(f.name) in on for f in dataclasses.fields(Markup)})


def as_markup(value: str | Markup, skin: str) -> Markup:
    """``value`` as a ``Markup`` for ``skin`` (a spec is parsed for the skin; a ``Markup`` is cut to the skin)."""
    if isinstance(value, Markup):
        return value.for_skin(skin)
    return parse_markup(value, skin=skin)


_BUTTON = re.compile(r"<button\b([^>]*)>(.*?)</button>", re.DOTALL | re.IGNORECASE)
_ATTR = re.compile(r"""([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")


def _quoted(value: str) -> str:
    """An attribute value as read from the HTML (entities kept), safe inside double quotes."""
    return value.replace('"', "&quot;")


def rewrite_buttons(html: str, kind: str) -> str:
    """Every ``<button>`` in ``html`` written as ``<a role=button>`` (kind "link") or ``<span role=button>`` ("span").

    The element keeps its class, id, title, ARIA and data attributes and its content; ``type``/``name``/``value``/
    ``form`` move to ``data-button-*`` (portal.js submits the form with that name=value), ``disabled`` becomes
    ``aria-disabled="true"``. Kind "button" returns ``html`` unchanged.
    """
    if kind == "button":
        return html
    tag = "a" if kind == "link" else "span"

    def replace(match: re.Match[str]) -> str:
        attrs: dict[str, str | None] = {}
        for found in _ATTR.finditer(match.group(1)):
            name = found.group(1).lower()
            value = next((v for v in found.group(2, 3, 4) if v is not None), None)
            attrs[name] = value
        disabled = "disabled" in attrs
        role = attrs.pop("role", None) or "button"  # a <button role=menuitem> keeps its role
        out: list[str] = [f'role="{_quoted(role)}"', f'tabindex="{-1 if disabled else 0}"']
        out.append(f'data-button-type="{_quoted(attrs.pop("type", None) or "submit")}"')
        for source, target in (
            ("name", "data-button-name"),
            ("value", "data-button-value"),
            ("form", "data-button-form"),
        ):
            value = attrs.pop(source, None)
            if value is not None:
                out.append(f'{target}="{_quoted(value)}"')
        attrs.pop("formnovalidate", None)
        attrs.pop("disabled", None)
        if disabled:
            out.append('aria-disabled="true"')
        out.extend(name if value is None else f'{name}="{_quoted(value)}"' for name, value in attrs.items())
        return f"<{tag} {' '.join(out)}>{match.group(2)}</{tag}>"

    return _BUTTON.sub(replace, html)
