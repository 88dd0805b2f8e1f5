"""The page map: turns the element descriptions of ``config/portal.toml`` into Playwright locators.

A screen's elements are looked up by name (``pagemap.element("login", "user_name")``); how to find each one (label,
role + name, text, or a justified CSS selector) is data, so a relabelled portal is a configuration change. A user can
override the shipped map with ``portal.toml`` in their config dir (same structure, only the keys that differ). An
overriding *element* (a table with ``label``, ``role``, ``text`` or ``css``) replaces the shipped one whole, so a lone
``css = "..."`` wins over a shipped ``label``; other tables (texts, columns, values) are merged key by key.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import tomllib
from typing import Any, Protocol

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


#: The keys that make a table an element description: an override holding one of them replaces the whole element.
LOCATOR_KEYS = ("label", "role", "text", "css")


def is_element(spec: Any) -> bool:
    """Whether ``spec`` describes an element (says how to find it), not a table of texts, columns or values."""
    return isinstance(spec, dict) and any(key in spec for key in LOCATOR_KEYS)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: an element in ``override`` replaces the shipped element; other tables merge."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if is_element(value):
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class PageMap:
    """The map of one UI generation."""

    def __init__(self, generation: str, data: dict[str, Any]) -> None:
        if generation not in data:
            raise ConfigError(f"portal.toml has no page map for the '{generation}' portal.")
        self.generation = generation
        self.data = data[generation]

    @classmethod
    def load(cls, generation: str) -> PageMap:
        data = resources.load_toml("portal.toml")
        user_file = settings.paths().config_dir / "portal.toml"
        if user_file.exists():
            try:
                data = _merge(data, tomllib.loads(user_file.read_text(encoding="utf-8")))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{user_file} is not valid TOML: {exc}.") from None
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
        try:
            self.value(*path)
        except ConfigError:
            return False
        return True
