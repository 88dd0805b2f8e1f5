"""Fault injection for the sandbox portal, set through ``POST /__sim/fault`` (see ``control`` for the JSON).

Kinds:

* ``latency``: wait ``seconds`` before answering requests whose path starts with ``path`` (``"*"`` = every portal
  page; static files and ``/__sim/`` are never delayed), for ``times`` requests (default: until cleared).
* ``error_after_commit``: the next ``times`` (default 1) portal POSTs that commit a change (optionally only under
  ``path``) commit it, then answer HTTP 500 instead of the page.
* ``drop_after_commit``: the same, but the connection is closed without any reply (needs the real server).
* ``rename_label``: every visible text node, and every ``aria-label``/``title``/``placeholder``/``alt``
  attribute, that is exactly ``old`` reads ``new`` instead.
* ``expire_sessions`` is not kept here: it acts at once on the session store.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable
from typing import Any

LATENCY = "latency"
ERROR_AFTER_COMMIT = "error_after_commit"
DROP_AFTER_COMMIT = "drop_after_commit"
RENAME_LABEL = "rename_label"
KEPT_KINDS = (LATENCY, ERROR_AFTER_COMMIT, DROP_AFTER_COMMIT, RENAME_LABEL)
MAX_LATENCY_SECONDS = 120.0


class FaultSpecError(ValueError):
    """A fault request the sandbox does not understand."""


@dataclasses.dataclass
class Fault:
    kind: str
    path: str = "*"
    seconds: float = 0.0
    times: int | None = None  # None = until cleared
    old: str = ""
    new: str = ""

    def matches(self, path: str) -> bool:
        return self.path in ("*", "") or path.startswith(self.path)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def parse_fault(spec: dict[str, Any]) -> Fault:
    """A ``Fault`` from the control surface's JSON, or ``FaultSpecError`` saying what is wrong."""
    kind = spec.get("kind")
    if kind not in KEPT_KINDS:
        raise FaultSpecError(f"unknown fault kind {kind!r}; use one of {', '.join(KEPT_KINDS)}, expire_sessions, clear")
    path = spec.get("path", "*")
    if not isinstance(path, str):
        raise FaultSpecError("path must be a string (a path prefix such as /operator/ or *)")
    times = spec.get("times", 1 if kind in (ERROR_AFTER_COMMIT, DROP_AFTER_COMMIT) else None)
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise FaultSpecError("times must be a positive integer")
    fault = Fault(kind=kind, path=path, times=times)
    if kind == LATENCY:
        seconds = spec.get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 < seconds <= MAX_LATENCY_SECONDS:
            raise FaultSpecError(f"latency needs seconds, a number in (0, {MAX_LATENCY_SECONDS:g}]")
        fault.seconds = float(seconds)
    if kind == RENAME_LABEL:
        old, new = spec.get("old"), spec.get("new")
        if not isinstance(old, str) or not old.strip() or not isinstance(new, str):
            raise FaultSpecError("rename_label needs old (the visible text to change) and new")
        fault.old, fault.new = old.strip(), new
    return fault


class Faults:
    """The active faults. Not locked itself: the portal state's lock guards it."""

    def __init__(self) -> None:
        self.active: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.active.append(fault)

    def clear(self) -> None:
        self.active.clear()

    def _use(self, fault: Fault) -> None:
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.active.remove(fault)

    def latency_for(self, path: str) -> float:
        """Seconds to wait before answering this path (uses up one of a counted latency fault)."""
        for fault in list(self.active):
            if fault.kind == LATENCY and fault.matches(path):
                self._use(fault)
                return fault.seconds
        return 0.0

    def take_commit_fault(self, path: str) -> str | None:
        """``error_after_commit``/``drop_after_commit`` if one applies to a committed POST to this path."""
        for fault in list(self.active):
            if fault.kind in (ERROR_AFTER_COMMIT, DROP_AFTER_COMMIT) and fault.matches(path):
                self._use(fault)
                return fault.kind
        return None

    def renames(self) -> list[tuple[str, str]]:
        return [(f.old, f.new) for f in self.active if f.kind == RENAME_LABEL]

    def as_json(self) -> list[dict[str, Any]]:
        return [f.as_json() for f in self.active]


_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")  # never value: submitted values stay


def _text_replacer(text: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return f">{match[1]}{text}{match[2]}<"

    return replace


def apply_renames(page: str, renames: list[tuple[str, str]]) -> str:
    """Rename whole visible labels in an HTML page: text nodes and label-like attributes equal to ``old``."""
    for old, new in renames:
        old_html, new_html = html.escape(old, quote=False), html.escape(new, quote=False)
        page = re.sub(r">(\s*)" + re.escape(old_html) + r"(\s*)<", _text_replacer(new_html), page)
        old_attr, new_attr = html.escape(old), html.escape(new)
        for attribute in _ATTRIBUTES:
            page = page.replace(f'{attribute}="{old_attr}"', f'{attribute}="{new_attr}"')
    return page
