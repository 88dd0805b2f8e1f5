"""Fixtures of the rotation tests: one sandbox (portal + shop) per module, the real keyring vault, a fresh start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.sandbox.runner import start as start_sandbox
from agent.vault import Vault, open_vault
from tests.rotation.harness import PortalSpy, Start, World, fresh_start


@pytest.fixture(scope="module")
def world(chromium_path: str) -> Iterator[World]:
    sandbox = start_sandbox(mode="test")
    try:
        yield World(sandbox, PortalSpy(sandbox.portal.state))
    finally:
        sandbox.stop()


@pytest.fixture
def vault(secret_service: dict[str, str]) -> Vault:
    return open_vault()


@pytest.fixture
def start(world: World, vault: Vault, agent_home: Path) -> Start:
    return fresh_start(world, vault, agent_home)
