"""House rules of the code's layout, enforced (they used to live only in docstrings).

* only ``agent/cli.py`` imports click;
* only screen objects and the page map create Playwright locators;
* ``agent/portal`` imports neither the workflows nor the sandbox;
* ``wp_bridge`` imports nothing of the agent and ships its own plugin table as package data;
* the sandbox imports nothing of the agent outside itself, and nothing of ``wp_bridge``;
* workflows get everything through their ``Context``: no ``load_config()`` / ``open_vault()`` inside them, and no
  workflow module over ~500 lines;
* every package's docstring says what belongs there.

Every import counts, also inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

#: Known violations in files that other branches own, listed exactly (file, what it uses). The rules stay strict
#: for every other file. The lead removes these entries once those branches are merged (the test fails when an
#: entry is no longer true, so the list can only shrink).
KNOWN_ELSEWHERE: frozenset[tuple[str, str]] = frozenset(
    {
        # The portal flows hold raw locators that belong in screen objects (portal branch).
        ("agent/portal/flows.py", "locator"),
        # The failure screenshot masks every input and image (browser.py, portal branch).
        ("agent/portal/browser.py", "locator"),
        # The sandbox shop models WordPress's kses filter with wp_bridge's model of it (sandbox owner).
        ("agent/sandbox/shop/gateways.py", "import wp_bridge.kses"),
    }
)

LOCATOR_METHODS = frozenset(
    {
        "locator",
        "frame_locator",
        "get_by_role",
        "get_by_text",
        "get_by_label",
        "get_by_placeholder",
        "get_by_test_id",
        "get_by_title",
        "get_by_alt_text",
    }
)
LOCATOR_MODULES = ("agent/portal/screens.py", "agent/portal/pagemap.py", "agent/portal/locate")


def python_files(*tops: str) -> Iterator[Path]:
    for top in tops:
        yield from sorted((ROOT / top).rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def violations(rule: str, tops: tuple[str, ...], bad: tuple[str, ...], allowed: tuple[str, ...] = ()) -> set[str]:
    """``(file, "import X")`` for each import of a module under ``bad`` (not under ``allowed``) in ``tops``."""
    out = set()
    for path in python_files(*tops):
        for name in imports(path):
            if name.split(".")[0] and any(name == b or name.startswith(b + ".") for b in bad):
                if any(name == a or name.startswith(a + ".") for a in allowed):
                    continue
                out.add((rel(path), f"import {name}"))
    return {f"{f}: {what} ({rule})" for f, what in out if not _known(f, what)}


def _known(path: str, what: str) -> bool:
    """Whether ``what`` (``import a.b.c``) in ``path`` is a listed violation (or an object imported from one)."""
    return any(f == path and (what == known or what.startswith(known + ".")) for f, known in KNOWN_ELSEWHERE)


def test_only_the_cli_imports_click() -> None:
    bad = {f"{rel(p)} imports click" for p in python_files("agent", "wp_bridge") if "click" in imports(p)} - {
        "agent/cli.py imports click"
    }
    assert not bad


def test_the_portal_imports_neither_workflows_nor_the_sandbox() -> None:
    assert not violations("portal", ("agent/portal",), ("agent.workflows", "agent.sandbox", "agent.cli"))


def test_the_portal_rule_has_no_exceptions() -> None:
    """No import of the portal is excused: a new one (e.g. the sandbox's human input, or the workflows' plan for a
    type hint) fails the rule above instead of being listed here."""
    assert not {(f, what) for f, what in KNOWN_ELSEWHERE if f.startswith("agent/portal/") and what != "locator"}
    assert "agent.sandbox.input" not in {name for p in python_files("agent/portal") for name in imports(p)}


def test_wp_bridge_imports_nothing_of_the_agent() -> None:
    assert not violations("wp_bridge", ("wp_bridge",), ("agent", "mpesa_agent_config"))


def test_wp_bridge_ships_its_own_plugin_table() -> None:
    assert (ROOT / "wp_bridge" / "plugins.toml").is_file()
    assert not (ROOT / "config" / "plugins.toml").exists(), "one plugin table, in wp_bridge"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "plugins.toml" in pyproject["tool"]["setuptools"]["package-data"]["wp_bridge"]
    from wp_bridge.plugins import load_adapters

    assert load_adapters(), "the shipped table loads through importlib.resources"


#: The sandbox's servers stand in for the outside world: they share no code with the agent they test.
SANDBOX_SERVERS = ("agent/sandbox/portal", "agent/sandbox/shop", "agent/sandbox/daraja")
#: The two adapters between the agent and its sandbox (the agent's human-input port over the sandbox's control
#: surface; the runner that starts the servers for the CLI) may use the agent's ports and errors, never workflows.
SANDBOX_ADAPTERS = ("agent/sandbox/input.py", "agent/sandbox/runner.py")


def test_the_sandbox_imports_nothing_of_the_agent_outside_itself() -> None:
    assert not violations("sandbox", SANDBOX_SERVERS, ("agent", "wp_bridge"), allowed=("agent.sandbox",))


def test_the_sandbox_adapters_use_only_the_agents_ports() -> None:
    assert not violations(
        "sandbox adapter",
        SANDBOX_ADAPTERS,
        ("agent", "wp_bridge"),
        allowed=("agent.sandbox", "agent.errors", "agent.secret", "agent.portal.human"),
    )


def _locator_calls(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOCATOR_METHODS
        for node in ast.walk(tree)
    )


def test_only_screen_objects_and_the_page_map_create_locators() -> None:
    makers = {rel(p) for p in python_files("agent") if _locator_calls(p)}
    allowed = {m for m in makers if m.startswith(LOCATOR_MODULES)}
    known = {f for f, what in KNOWN_ELSEWHERE if what == "locator"}
    assert makers - allowed - known == set()


def test_known_violations_elsewhere_are_still_true() -> None:
    """When another branch fixes one, its entry must go (so the list cannot hide a new violation)."""
    for path, what in KNOWN_ELSEWHERE:
        file = ROOT / path
        if what == "locator":
            assert _locator_calls(file), f"{path} no longer creates locators: remove it from KNOWN_ELSEWHERE"
        else:
            assert what.removeprefix("import ") in imports(file), f"{path}: {what} is gone: remove the entry"


def test_workflows_take_their_context() -> None:
    """No workflow reads the configuration file or opens the vault itself: the Context has them."""
    offenders = set()
    for path in python_files("agent/workflows"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ("load_config", "open_vault", "paths"):
                    offenders.add(f"{rel(path)}:{node.lineno} calls {name}()")
    assert not offenders


def test_no_workflow_module_is_over_500_lines() -> None:
    long = {rel(p): n for p in python_files("agent/workflows") if (n := len(p.read_text().splitlines())) > 500}
    assert not long


def test_every_package_says_what_belongs_there() -> None:
    missing = []
    for init in python_files("agent", "wp_bridge"):
        if init.name == "__init__.py" and not ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))):
            missing.append(rel(init))
    assert not missing
