"""The page map: turns the element descriptions of ``config/portal.toml`` into Playwright locators, and declares
what differs in *behaviour* between the portal generations (``Capabilities``, one ``[<generation>.capabilities]``
table each), so that no code decides anything on whether a key of the map exists.

A screen's elements are looked up by name (``pagemap.element("login", "user_name")``); how to find each one (label,
role + name, text, or a justified CSS selector) is data, so a relabelled portal is a configuration change. A user can
override the shipped map with ``portal.toml`` in their config dir (same structure, only the keys that differ). An
overriding *element* replaces the shipped one whole, so a lone ``css = "..."`` wins over a shipped ``label``; tables
of strings (texts, columns, values, steps) and the capabilities are merged key by key.

The map's schema (``SCREENS``, ``ELEMENT_ATTRS``, ``Capabilities``) is checked at load, the shipped file and the
override alike: an unknown section or key, an element without exactly one way to find it, a value of the wrong type,
or a capability without the elements it needs is a ``ConfigError`` (exit 2) naming the file and the key.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import tomllib
import typing
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from playwright.sync_api import Locator

from agent import resources, settings
from agent.errors import ConfigError

GENERATIONS = ("classic", "current")


class Scope(Protocol):
    """What a locator can be resolved in: a Page, a Frame or a FrameLocator (all offer get_by_*)."""

    def get_by_label(self, text: str | re.Pattern[str], *, exact: bool | None = None) -> Locator: ...
    def get_by_role(
        self, role: Any, *, name: str | re.Pattern[str] | None = None, exact: bool | None = None
    ) -> Locator: ...
    def get_by_text(self, text: str | re.Pattern[str], *, exact: bool | None = None) -> Locator: ...
    def locator(self, selector: str) -> Locator: ...


@dataclasses.dataclass(frozen=True)
class Element:
    """One element description from the map."""

    screen: str
    key: str
    spec: dict[str, Any]
    parent: Element | None = None

    def describe(self) -> str:
        """Human words for error messages: e.g. 'the field labelled "User Name"'."""
        s = self.spec
        if "label" in s:
            return f'the field labelled "{s["label"]}"'
        if "role" in s:
            return f'the {s["role"]} "{s.get("name", "")}"'.replace(' ""', "")
        if "text" in s:
            return f'the text "{s["text"]}"'
        return f"the element {s.get('css', '?')!r}"

    def locate(self, scope: Scope) -> Locator:
        if self.parent is not None:
            scope = self.parent.locate(scope)
        s = self.spec
        exact = not s.get("partial", False)
        if "label" in s:
            if not exact:
                return scope.get_by_label(s["label"])
            # The portal marks required fields with "*" before (or after) the label: "* User Name".
            return scope.get_by_label(re.compile(r"^\s*\*?\s*" + re.escape(s["label"]) + r"\s*\*?\s*$"))
        if "role" in s:
            name = s.get("name")
            return scope.get_by_role(s["role"], name=name, exact=exact) if name else scope.get_by_role(s["role"])
        if "text" in s:
            return scope.get_by_text(s["text"], exact=exact)
        if "css" in s:
            return scope.locator(s["css"])
        raise ConfigError(f"portal.toml: [{self.screen}] {self.key} has no label, role, text or css.")


#: How an element may be described: exactly one of LOCATOR_KEYS, and these modifiers.
LOCATOR_KEYS = ("label", "role", "text", "css")
ELEMENT_ATTRS: dict[str, type] = {
    "label": str,
    "role": str,
    "name": str,
    "text": str,
    "css": str,
    "why": str,
    "partial": bool,
    "within": str,
}
#: The tables of strings a screen may have (matched texts, grid headers, values to choose, wizard step titles).
TABLES = ("texts", "columns", "values", "steps")


def _screen(elements: str, **tables: str) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    return frozenset(elements.split()), {name: frozenset(keys.split()) for name, keys in tables.items()}


#: Every screen of the map: its element keys and its tables of strings with their keys. A key the code does not
#: know is a typo (or a portal change described in the wrong place), so it is refused at load.
SCREENS: dict[str, tuple[frozenset[str], dict[str, frozenset[str]]]] = {
    "login": _screen(
        "screen detect short_code user_name password verification_code captcha_image refresh_captcha login",
        texts="captcha_wrong required credentials_wrong locked short_code_unknown session_expired dormant",
    ),
    "otp": _screen("screen otp boxes submit resend", texts="otp_wrong"),
    "first_login": _screen(
        "screen old_password new_password confirm_password question_1 answer_1 question_2 answer_2 submit "
        "confirm_dialog confirm done return_to_login",
        texts="rejected same_as_old",
    ),
    "shell": _screen(
        "screen my_preference browse_organization logout logout_dialog logout_confirm confirm_yes stray_dialog "
        "stray_dialog_close stray_dialog_ok"
    ),
    "sidebar": _screen("screen search organization_operator my_preference basic_info"),
    "browse": _screen("screen tree_operators"),
    "operators": _screen(
        "screen user_name search add grid details no_records",
        columns="user_name role status suspended operator_id",
    ),
    "create": _screen(
        "screen web api user_name next previous cancel rule_profile add_role role_dialog role_dialog_ok "
        "role_dialog_all first_name middle_name last_name date_of_birth email id_type id_number preferred_contact "
        "notification_channel notification_msisdn notification_email submit confirm_dialog confirm succeeded "
        "succeeded_ok",
        steps="identity assign kyc review",
        values="rule_profile notification_channel date_format national_id passport",
        texts="duplicate_user",
    ),
    "operator_info": _screen(
        "screen set_password dialog password confirm_password submit succeeded succeeded_ok",
        texts="rejected different",
    ),
    "my_preference": _screen(
        "screen change_password dialog old_password new_password confirm_password submit succeeded succeeded_alt "
        "succeeded_ok",
        texts="rejected same_as_old old_wrong different",
    ),
    "expired_password": _screen("", texts="expired old_wrong different"),
    "operator_status": _screen(
        "screen change_status dialog new_status reason confirm succeeded succeeded_ok",
        values="closed suspended active",
        texts="reason_required no_permission",
    ),
}
#: Sections that are one table of strings (the displayed operator statuses).
VALUE_SECTIONS: dict[str, frozenset[str]] = {
    "status": frozenset(["active", "pending_active", "locked", "dormant", "suspended", "closed"])
}


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """What one portal generation does differently (``[<generation>.capabilities]``); the code branches on these
    only, never on whether a key of the map exists."""

    #: A submit replaces the page (classic) or the view (current): wait until the old one is gone.
    reloads: bool
    #: "iframe": each tab's page is in an iframe (found by ``[<generation>.work_area_frame]``); "page": no frames.
    work_area: Literal["iframe", "page"]
    #: The portal may ask "Are you sure…?" after a submit; it is answered with ``[shell] confirm_yes``.
    confirmations: bool
    #: The login form refuses to send empty fields itself (``[login.texts] required``): typing again is safe.
    login_form_check: bool
    #: "tabs": header links and the Browse Organization tab (classic); "sidebar": the left menu (``[sidebar]``).
    menus: Literal["tabs", "sidebar"]
    #: Notices pop up after login or on any page; closed with ``[shell] stray_dialog_close`` before anything else.
    stray_dialogs: bool
    #: "field": one OTP field (``[otp] otp``); "boxes": one box per digit (``[otp] boxes``).
    otp: Literal["field", "boxes"]
    #: A success message is a dialog closed with OK (``succeeded_ok`` of the screens that have one); else a toast.
    acknowledge_success: bool

    @classmethod
    def parse(cls, table: Any, where: str, at: str) -> Capabilities:
        """The capabilities from the whole table ``at`` (``[<generation>.capabilities]``) of the file ``where``."""
        if not isinstance(table, dict):
            raise _schema_error(where, at, "must be a table")
        _check_capabilities(table, where, at)
        missing = [name for name in _capability_kinds() if name not in table]
        if missing:
            raise _schema_error(where, f"{at}.{missing[0]}", "is missing")
        return cls(**table)


def _capability_kinds() -> dict[str, tuple[str, ...]]:
    """Each capability's allowed values: () for true/false, else the Literal's strings."""
    hints = typing.get_type_hints(Capabilities)
    return {f.name: tuple(str(v) for v in get_args(hints[f.name])) for f in dataclasses.fields(Capabilities)}


def _check_capabilities(table: dict[str, Any], where: str, at: str) -> None:
    kinds = _capability_kinds()
    for key, value in table.items():
        if key not in kinds:
            raise _schema_error(where, f"{at}.{key}", f"is not a capability (known: {', '.join(kinds)})")
        allowed = kinds[key]
        if allowed and value not in allowed:
            raise _schema_error(where, f"{at}.{key}", f"must be one of {', '.join(repr(v) for v in allowed)}")
        if not allowed and not isinstance(value, bool):
            raise _schema_error(where, f"{at}.{key}", "must be true or false")


def _schema_error(where: str, key: str, problem: str) -> ConfigError:
    return ConfigError(
        f"{where}: {key} {problem}.",
        hint="Fix that key (config/portal.toml documents the structure), or remove it from your portal.toml.",
    )


def check_schema(data: Any, where: str, *, complete: bool) -> None:
    """Check the structure of a page map (the shipped one, an override, or both merged) against the schema.

    ``complete``: the map must be whole (every generation with its login path, capabilities and the elements its
    capabilities need); an override (``complete=False``) only has to be well formed."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where} is not a table of portal generations.")
    for generation, body in data.items():
        if generation not in GENERATIONS:
            raise _schema_error(where, generation, f"is not a portal generation (known: {', '.join(GENERATIONS)})")
        if not isinstance(body, dict):
            raise _schema_error(where, generation, "must be a table")
        for key, value in body.items():
            _check_generation_key(generation, key, value, where, complete=complete)
        if complete:
            _check_complete(generation, body, where)


def _check_generation_key(generation: str, key: str, value: Any, where: str, *, complete: bool) -> None:
    at = f"{generation}.{key}"
    if key == "login_path":
        if not isinstance(value, str):
            raise _schema_error(where, at, "must be a string")
    elif key == "capabilities":
        if not isinstance(value, dict):
            raise _schema_error(where, at, "must be a table")
        _check_capabilities(value, where, at)
    elif key == "work_area_frame":
        _check_element(value, where, at, set())
    elif key in VALUE_SECTIONS:
        _check_strings(value, VALUE_SECTIONS[key], where, at)
    elif key in SCREENS:
        _check_screen(key, value, where, at, complete=complete)
    else:
        moved = f" (it is a capability now: [{generation}.capabilities])" if key in _CAPS else ""
        raise _schema_error(where, at, "is not a screen or setting of the page map" + moved)


_CAPS = {f.name for f in dataclasses.fields(Capabilities)}


def _check_strings(table: Any, known: frozenset[str], where: str, at: str) -> None:
    if not isinstance(table, dict):
        raise _schema_error(where, at, "must be a table of strings")
    for key, value in table.items():
        if key not in known:
            raise _schema_error(where, f"{at}.{key}", f"is not known here (known: {', '.join(sorted(known))})")
        if not isinstance(value, str):
            raise _schema_error(where, f"{at}.{key}", "must be a string")


def _check_screen(name: str, table: Any, where: str, at: str, *, complete: bool) -> None:
    if not isinstance(table, dict):
        raise _schema_error(where, at, "must be a table")
    elements, tables = SCREENS[name]
    for key, value in table.items():
        if key in tables:
            _check_strings(value, tables[key], where, f"{at}.{key}")
        elif key in elements:
            _check_element(value, where, f"{at}.{key}", set(table) if complete else None)
        else:
            known = ", ".join(sorted(elements | set(tables)))
            raise _schema_error(where, f"{at}.{key}", f"is not an element of this screen (known: {known})")


def _check_element(spec: Any, where: str, at: str, siblings: set[str] | None) -> None:
    if not isinstance(spec, dict):
        raise _schema_error(where, at, 'must be an element table (e.g. { label = "User Name" })')
    ways = [k for k in LOCATOR_KEYS if k in spec]
    if len(ways) != 1:
        raise _schema_error(
            where, at, f"must have exactly one of {', '.join(LOCATOR_KEYS)} (it has {', '.join(ways) or 'none'})"
        )
    for key, value in spec.items():
        if key not in ELEMENT_ATTRS:
            raise _schema_error(where, f"{at}.{key}", f"is not an element attribute ({', '.join(ELEMENT_ATTRS)})")
        if not isinstance(value, ELEMENT_ATTRS[key]):
            raise _schema_error(where, f"{at}.{key}", f"must be a {ELEMENT_ATTRS[key].__name__}")
    if "name" in spec and "role" not in spec:
        raise _schema_error(where, f"{at}.name", "goes only with role")
    within = spec.get("within")
    if within is not None and siblings is not None and within not in siblings:
        raise _schema_error(where, f"{at}.within", f"names {within!r}, which is not an element of this screen")


def _check_complete(generation: str, body: dict[str, Any], where: str) -> None:
    """A whole generation: its login path, its capabilities, and the elements each capability relies on."""
    if "login_path" not in body:
        raise _schema_error(where, f"{generation}.login_path", "is missing")
    if "capabilities" not in body:
        raise _schema_error(where, f"{generation}.capabilities", "is missing")
    caps = Capabilities.parse(body["capabilities"], where, f"{generation}.capabilities")
    needs: list[tuple[str, ...]] = [("login", "screen"), ("shell", "screen"), ("operators", "screen")]
    if caps.work_area == "iframe":
        needs.append(("work_area_frame",))
    if caps.confirmations:
        needs.append(("shell", "confirm_yes"))
    if caps.login_form_check:
        needs.append(("login", "texts", "required"))
    if caps.menus == "sidebar":
        needs += [("sidebar", "organization_operator"), ("sidebar", "basic_info")]
    else:
        needs += [("shell", "browse_organization"), ("shell", "my_preference"), ("browse", "tree_operators")]
    if caps.stray_dialogs:
        needs.append(("shell", "stray_dialog_close"))
    needs.append(("otp", "boxes") if caps.otp == "boxes" else ("otp", "otp"))
    if caps.acknowledge_success:
        acknowledged = ("create", "operator_info", "my_preference", "operator_status")
        needs += [(screen, "succeeded_ok") for screen in acknowledged]
    for path in needs:
        node: Any = body
        for part in path:
            if not isinstance(node, dict) or part not in node:
                what = ".".join((generation, *path))
                raise _schema_error(where, what, "is missing (the capabilities say this portal has it)")
            node = node[part]


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``, by the schema: an element in ``override`` replaces the shipped element whole;
    capabilities and tables of strings merge key by key."""
    out = copy.deepcopy(base)
    for generation, body in override.items():
        target = out.setdefault(generation, {})
        for key, value in body.items():
            if key in SCREENS and isinstance(value, dict):
                screen = target.setdefault(key, {})
                for name, item in value.items():
                    if name in SCREENS[key][1] and isinstance(item, dict):
                        screen.setdefault(name, {}).update(copy.deepcopy(item))
                    else:
                        screen[name] = copy.deepcopy(item)  # an element: replaced whole
            elif key in ("capabilities", *VALUE_SECTIONS) and isinstance(value, dict):
                target.setdefault(key, {}).update(copy.deepcopy(value))
            else:
                target[key] = copy.deepcopy(value)
    return out


SHIPPED = "the shipped config/portal.toml"


class PageMap:
    """The map of one UI generation."""

    def __init__(self, generation: str, data: dict[str, Any]) -> None:
        if generation not in data:
            raise ConfigError(f"portal.toml has no page map for the '{generation}' portal.")
        self.generation = generation
        self.data = data[generation]
        at = f"{generation}.capabilities"
        self.capabilities = Capabilities.parse(self.data.get("capabilities"), "portal.toml", at)

    @classmethod
    def load(cls, generation: str) -> PageMap:
        """The map of ``generation``: the shipped file, with the user's override over it; both checked whole."""
        data = load_checked()
        return cls(generation, data)

    def value(self, *path: str) -> Any:
        node: Any = self.data
        for part in path:
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(
                    f"portal.toml has no [{self.generation}.{'.'.join(path)}].",
                    hint="Reinstall mpesa-agent, or fix your portal.toml override.",
                )
            node = node[part]
        return node

    def element(self, screen: str, key: str) -> Element:
        spec = self.value(screen, key)
        if not isinstance(spec, dict):
            raise ConfigError(f"portal.toml: [{self.generation}.{screen}] {key} must be a table.")
        parent = self.element(screen, str(spec["within"])) if "within" in spec else None
        return Element(screen, key, spec, parent)

    def text(self, screen: str, key: str) -> str:
        return str(self.value(screen, "texts", key))

    def has(self, *path: str) -> bool:
        """Whether the map describes ``path`` (for ``portal check``'s list of what to look for; behaviour is
        decided by ``capabilities``)."""
        try:
            self.value(*path)
        except ConfigError:
            return False
        return True


def user_override_path() -> Path:
    return settings.paths().config_dir / "portal.toml"


def load_checked() -> dict[str, Any]:
    """The shipped map with the user's override merged over it, after checking the schema of both."""
    data = resources.load_toml("portal.toml")
    check_schema(data, SHIPPED, complete=True)
    user_file = user_override_path()
    if not user_file.exists():
        return data
    try:
        override = tomllib.loads(user_file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{user_file} is not valid TOML: {exc}.") from None
    check_schema(override, str(user_file), complete=False)
    merged = _merge(data, override)
    check_schema(merged, f"{user_file} (over the shipped map)", complete=True)
    return merged
