"""Test-wide fixtures.

* Every test gets its own user state: ``MPESA_AGENT_HOME`` points at a temp dir, so nothing touches the real
  home directory (the simonw/llm approach).
* The private D-Bus session with an unlocked gnome-keyring starts lazily, the first time a test needs it (the
  ``secret_service`` fixture, or a test marked ``keyring`` or ``e2e``), once for the run. Until then the session bus
  address points nowhere, so no test can reach a developer's real keyring, and the unit tier needs no D-Bus at all
  (``tests/tools/without-dbus.sh make test-unit`` proves it in CI). With ``MPESA_AGENT_REQUIRE_COMPONENTS=1``
  (``make test``/CI) a component that cannot start is a failure, never a skip.
* pytest-playwright's browser fixtures are pointed at the detected Chromium.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.secret_service import PrivateSecretService

REQUIRE = os.environ.get("MPESA_AGENT_REQUIRE_COMPONENTS") == "1" or os.environ.get("CI") == "true"
NOWHERE_BUS = "unix:path=/nonexistent/mpesa-agent-tests"
KEYRING_MARKERS = ("keyring", "e2e")


def component_unavailable(what: str, why: str) -> None:
    """Fail (CI, make test) or skip (a developer's partial machine) a test whose real component is missing."""
    message = f"{what} is not available: {why}"
    if REQUIRE:
        pytest.fail(message + " (components are required in this run)", pytrace=False)
    pytest.skip(message)


class LazySecretService:
    """Starts the private Secret Service on first use; remembers why it could not start."""

    def __init__(self) -> None:
        self.service: PrivateSecretService | None = None
        self.env: dict[str, str] | None = None
        self.problem: str | None = None

    def ensure(self) -> dict[str, str] | None:
        if self.env is not None or self.problem is not None:
            return self.env
        service = PrivateSecretService()
        try:
            env = service.start()
        except Exception as exc:  # noqa: BLE001 - any failure means "not available"
            self.problem = str(exc)
            service.stop()
            return None
        self.service = service
        self.env = env
        os.environ.update(env)
        _forget_chosen_keyring()
        return env

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None


def _forget_chosen_keyring() -> None:
    """keyring caches the backend it chose; if a test made it choose before the bus existed, choose again."""
    import sys

    core = sys.modules.get("keyring.core")
    if core is not None:
        core.init_backend()  # type: ignore[attr-defined]


SECRET_SERVICE = LazySecretService()


def pytest_configure(config: pytest.Config) -> None:
    """Point the session bus nowhere until the private Secret Service is started (never the developer's)."""
    os.environ.pop("PYTHON_KEYRING_BACKEND", None)
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = NOWHERE_BUS
    config._mpesa_secret_service = SECRET_SERVICE  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    SECRET_SERVICE.stop()


@pytest.fixture(autouse=True)
def _private_user_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("mpesa-home")
    monkeypatch.setenv("MPESA_AGENT_HOME", str(home))
    monkeypatch.delenv("MPESA_AGENT_CONFIG", raising=False)
    monkeypatch.delenv("MPESA_AGENT_VAULT", raising=False)
    return home


@pytest.fixture(autouse=True)
def _logging_enabled_again() -> Iterator[None]:
    """The CLI's Ctrl-C path silences logging for the rest of its process (``logging.disable``), which for a test
    that calls ``main()`` in-process is the rest of the session: undo it after each test."""
    import logging

    yield
    logging.disable(logging.NOTSET)


@pytest.fixture(autouse=True)
def _no_remembered_secrets() -> Iterator[None]:
    """Every test starts with no remembered secret values: redaction is process-wide, and a short value from one
    test (a 4-digit captcha) would otherwise mask a number in another test's message."""
    from agent.secret import forget_all

    forget_all()
    yield
    forget_all()


@pytest.fixture(autouse=True)
def _empty_private_keyring(request: pytest.FixtureRequest) -> None:
    """A test that uses the keyring (marked keyring/e2e, or asking for ``secret_service``) starts the private
    Secret Service if needed and gets it empty, so no test sees another's items. Other tests never touch D-Bus."""
    wants = any(request.node.get_closest_marker(m) for m in KEYRING_MARKERS) or (
        "secret_service" in request.fixturenames
    )
    if not wants or SECRET_SERVICE.ensure() is None:
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
    """The private Secret Service's environment (started on first use); fails or skips when it cannot start."""
    env = SECRET_SERVICE.ensure()
    if env is None:
        component_unavailable("The Secret Service (D-Bus + gnome-keyring)", SECRET_SERVICE.problem or "unknown")
        raise AssertionError("unreachable")
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
