"""push, rollback and site-credential rotation with a vault on a keyring that has Windows' limit (2,560 bytes of
UTF-16 per item), against the sandbox shop, with plugin settings as large as a real shop's (~2.4k characters)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import settings
from agent.context import Context
from agent.secret import Secret
from agent.vault import CredentialRef, Vault
from agent.vault_store import ITEM_BUDGET_BYTES, SealedStore, is_pointer, item_size
from agent.workflows import sites
from tests.harness.wordpress import SandboxShopServer
from tests.unit.test_vault_limits import WindowsLimits

pytestmark = pytest.mark.unit

OPERATOR = "mamaapi"
OPERATOR_PASSWORD = "Kx7#mQ2$vL9%"
LONG_TEXT = "Lipa na M-PESA: enter your phone number, then the PIN on your phone. " * 34  # ~2.4k characters


@pytest.fixture
def shop() -> Iterator[SandboxShopServer]:
    server = SandboxShopServer()
    yield server
    server.stop()


@pytest.fixture
def backend() -> WindowsLimits:
    return WindowsLimits()


@pytest.fixture
def vault(backend: WindowsLimits, tmp_path: Path) -> Vault:
    store = SealedStore(tmp_path / "sealed")
    return Vault(backend, backend_name="windows-limits", ephemeral=False, timeout=10, store=store)


@pytest.fixture
def profile(vault: Vault) -> str:
    cfg = settings.load_config()
    cfg.set_default_profile("600000")
    cfg.set_profile("600000", {"short_code": "600000", "api_operator": {"username": OPERATOR}})
    cfg.save()
    vault.set_current(CredentialRef("600000", "api-operator", OPERATOR), Secret(OPERATOR_PASSWORD))
    return "600000"


def test_push_rollback_and_rotation_within_the_windows_limit(
    shop: SandboxShopServer, vault: Vault, backend: WindowsLimits, profile: str
) -> None:
    shop.sim("POST", "gateway/mpesa", {"values": {"instructions": LONG_TEXT}})
    ctx = Context.build(vault=vault)
    sites.link_site(ctx, shop.url, "shopadmin", Secret(shop.app_password()))
    report = sites.push(ctx)
    assert report.sites[0].ok
    ref = sites.snapshot_ref(shop.url)
    raw = backend._items[(ref.service, ref.account)]
    assert is_pointer(raw)  # too large for one Windows item: sealed
    snapshot = json.loads(vault.require(ref).reveal())
    assert snapshot["values"]["instructions"] == LONG_TEXT
    # a second push keeps current + previous snapshots: still within the budget
    vault.set_current(CredentialRef(profile, "api-operator", OPERATOR), Secret("Zq8#nW3$bT6%"))
    assert sites.push(ctx).sites[0].ok
    assert vault.get(ref, "previous") is not None
    restored = sites.rollback_push(ctx, shop.url)
    assert restored["verified"]
    assert shop.sim("GET", "gateway/mpesa")["values"]["instructions"] == LONG_TEXT
    assert sites.rotate_site_credentials(ctx, shop.url).old_revoked
    assert sites.push(ctx).sites[0].ok  # the rotated application password works for the next push
    assert backend.largest <= ITEM_BUDGET_BYTES
    for raw in backend._items.values():
        assert item_size(raw) <= ITEM_BUDGET_BYTES
