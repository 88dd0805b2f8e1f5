"""Test-wide fixtures.

* Every test gets its own user state: ``MPESA_AGENT_HOME`` points at a temp dir, so nothing touches the real
  home directory (the simonw/llm approach).
* One private D-Bus session with an unlocked gnome-keyring is started for the whole run, before anything can
  import keyring, so no test can reach a developer's real keyring. With ``MPESA_AGENT_REQUIRE_COMPONENTS=1``
  (``make test``/CI) a component that cannot start is a failure, never a skip.
* pytest-playwright's browser fixtures are pointed at the detected Chromium.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.harness.secret_service import PrivateSecretService

REQUIRE = os.environ.get("MPESA_AGENT_REQUIRE_COMPONENTS") == "1" or os.environ.get("CI") == "true"
_keyring_problem: str | None = None


def component_unavailable(what: str, why: str) -> None:
    """Fail (CI, make test) or skip (a developer's partial machine) a test whose real component is missing."""
    message = f"{what} is not available: {why}"
    if REQUIRE:
        pytest.fail(message + " (components are required in this run)", pytrace=False)
    pytest.skip(message)


def pytest_configure(config: pytest.Config) -> None:
    """Start the private Secret Service before any test module imports keyring."""
    global _keyring_problem
    os.environ.pop("PYTHON_KEYRING_BACKEND", None)
    service = PrivateSecretService()
    try:
        env = service.start()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        _keyring_problem = str(exc)
        service.stop()
        # Make sure nothing falls back to a real session bus of the developer.
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/mpesa-agent-tests"
        return
    os.environ.update(env)
    config._mpesa_secret_service = service  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    service = getattr(config, "_mpesa_secret_service", None)
    if service is not None:
        service.stop()


@pytest.fixture(autouse=True)
def _private_user_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("mpesa-home")
    monkeypatch.setenv("MPESA_AGENT_HOME", str(home))
    monkeypatch.delenv("MPESA_AGENT_CONFIG", raising=False)
    monkeypatch.delenv("MPESA_AGENT_VAULT", raising=False)
    return home


@pytest.fixture(autouse=True)
def _empty_private_keyring(request: pytest.FixtureRequest) -> None:
    """Every test starts with an empty keyring (the private one of this run), so no test sees another's items."""
    if getattr(request.config, "_mpesa_secret_service", None) is None:
        return
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        for item in secretstorage.get_default_collection(connection).get_all_items():
            item.delete()
    finally:
        connection.close()


@pytest.fixture
def agent_home(_private_user_state: Path) -> Path:
    """The temp dir that holds this test's config, data and state."""
    return _private_user_state


@pytest.fixture(scope="session")
def secret_service() -> dict[str, str]:
    """The private Secret Service's environment; fails or skips when it could not start."""
    if _keyring_problem is not None:
        component_unavailable("The Secret Service (D-Bus + gnome-keyring)", _keyring_problem)
    return {k: os.environ[k] for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_DATA_HOME") if k in os.environ}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    from agent.errors import AgentError
    from agent.portal.chromium import find_chromium

    try:
        return find_chromium()
    except AgentError as exc:
        component_unavailable("Chromium", exc.message)
        raise


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], chromium_path: str) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": chromium_path}


@pytest.fixture
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temp dir for screenshots a test takes (e.g. of sandbox screens), kept for inspection."""
    return tmp_path_factory.mktemp("screens")
