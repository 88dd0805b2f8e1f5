"""Fixtures for the sandbox portal's tests: a served portal, its control client, and a Flask test client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from agent.sandbox.portal.app import create_app
from agent.sandbox.portal.client import SandboxControl
from agent.sandbox.portal.server import RunningSandbox
from agent.sandbox.portal.state import PortalState
from tests.harness.sandbox import running_sandbox
from tests.sandbox.portal_http import PortalBrowser


@pytest.fixture
def portal() -> Iterator[RunningSandbox]:
    """A sandbox portal served on a free loopback port (test mode), stopped after the test."""
    with running_sandbox() as served:
        yield served


@pytest.fixture
def sim(portal: RunningSandbox) -> Iterator[SandboxControl]:
    control = portal.control
    yield control
    control.close()


@pytest.fixture
def state() -> PortalState:
    return PortalState()


@pytest.fixture
def client(state: PortalState) -> FlaskClient:
    """A Flask test client on a fresh, default-seeded portal in test mode."""
    return create_app(state, mode="test").test_client()


@pytest.fixture
def web(state: PortalState) -> PortalBrowser:
    """An HTTP-level portal browser (Flask test client with cookies) on a fresh default-seeded portal."""
    return PortalBrowser(create_app(state, mode="test"))
