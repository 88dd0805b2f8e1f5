"""The vault against keyrings with different limits: every operation, small and large values, many credentials.

Two test backends: ``WindowsLimits`` refuses a blob over 2,560 bytes of UTF-16-LE, as Windows Credential Manager
does (``CRED_MAX_CREDENTIAL_BLOB_SIZE``; the error looks like pywin32's), and ``KeychainLike`` takes anything, as
macOS Keychain does. The whole vault API must behave the same on both, and no item may ever exceed the budget.
Large documents go to the encrypted store, which must hold ciphertext only and refuse tampered files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.errors import ExitStatus, KeyringError
from agent.secret import Secret
from agent.vault import (
    INDEX_ACCOUNT,
    INDEX_SERVICE,
    CorruptCredentialError,
    CredentialRef,
    MemoryKeyring,
    Vault,
)
from agent.vault_store import ITEM_BUDGET_BYTES, MAX_SEALED_CHARS, SealedStore, is_pointer, item_size

pytestmark = pytest.mark.unit

API = CredentialRef("600000", "api-operator", "duka_api")
SNAP = CredentialRef("sites", "site-snapshot", "https://shop.example")


class WinError(Exception):
    """What pywin32(-ctypes) raises from CredWrite."""


class WindowsLimits(MemoryKeyring):
    """Refuses a credential blob over 2,560 bytes of UTF-16-LE, like Windows Credential Manager."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0
        self.writes = 0

    def set_password(self, service: str, username: str, password: str) -> None:
        size = len(password.encode("utf-16-le"))
        if size > 2560:
            raise WinError(1783, "CredWrite", "The stub received bad data.")
        self.largest = max(self.largest, size)
        self.writes += 1
        super().set_password(service, username, password)


class KeychainLike(MemoryKeyring):
    """No practical limit, like macOS Keychain; records the largest item it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0
        self.writes = 0

    def set_password(self, service: str, username: str, password: str) -> None:
        self.largest = max(self.largest, len(password.encode("utf-16-le")))
        self.writes += 1
        super().set_password(service, username, password)


def snapshot(tag: str, size: int = 2433) -> Secret:
    """A plugin-settings snapshot like a real Osen shop's: JSON text with quotes (escaped again in the document)."""
    settings = {"mpesa_shortcode": "600000", "env": "live", "instructions": "Lipa na M-PESA " + tag}
    text = json.dumps(settings)
    filler = 'x"é\\' * size
    return Secret((text + tag + filler)[:size])


@pytest.fixture(params=["windows", "keychain"])
def backend(request: pytest.FixtureRequest) -> WindowsLimits | KeychainLike:
    return WindowsLimits() if request.param == "windows" else KeychainLike()


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault-store"


@pytest.fixture
def vault(backend: MemoryKeyring, store_dir: Path) -> Iterator[Vault]:
    vault = Vault(backend, backend_name="test", ephemeral=False, timeout=5, store=SealedStore(store_dir))
    yield vault
    for (service, account), raw in backend._items.items():
        assert item_size(raw) <= ITEM_BUDGET_BYTES, (service, account)


def sealed_files(store_dir: Path) -> list[Path]:
    return sorted(store_dir.glob("*.sealed")) if store_dir.exists() else []


def test_the_windows_backend_really_limits() -> None:
    """Control: the test backend enforces the limit with UTF-16 accounting."""
    win = WindowsLimits()
    win.set_password("s", "a", "x" * 1280)
    with pytest.raises(WinError):
        win.set_password("s", "a", "x" * 1281)
    win.set_password("s", "a", "\U0001f600" * 640)  # outside the BMP: 4 bytes each
    with pytest.raises(WinError):
        win.set_password("s", "a", "\U0001f600" * 641)


def test_small_values_the_whole_api(vault: Vault, backend: MemoryKeyring, store_dir: Path) -> None:
    vault.set_current(API, Secret("First#Pass1"), note="set on portal")
    vault.set_current(API, Secret("Second#Pass2"))
    vault.stage(API, Secret("Third#Pass3"), note="generated")
    assert vault.get(API, "pending") == Secret("Third#Pass3")
    vault.promote(API)
    assert vault.get(API) == Secret("Third#Pass3")
    assert vault.get(API, "previous") == Secret("Second#Pass2")
    vault.rollback(API)
    assert vault.require(API) == Secret("Second#Pass2")
    vault.stage(API, Secret("Fourth#Pass4"))
    vault.discard_pending(API)
    assert set(vault.info(API)) == {"current", "previous"}
    assert vault.refs() == [API]
    assert not is_pointer(backend._items[(API.service, API.account)])  # small documents stay inline
    assert sealed_files(store_dir) == []
    vault.delete(API)
    assert vault.get(API) is None
    assert vault.refs() == []


def test_a_large_snapshot_with_three_versions(vault: Vault, backend: MemoryKeyring, store_dir: Path) -> None:
    one, two, three = snapshot("one"), snapshot("two"), snapshot("three")
    assert item_size(json.dumps(one.reveal())) > ITEM_BUDGET_BYTES  # it really would not fit on Windows
    vault.set_current(SNAP, one, note="before push")
    vault.set_current(SNAP, two)
    vault.stage(SNAP, three)
    assert vault.get(SNAP) == two
    assert vault.get(SNAP, "previous") == one
    assert vault.get(SNAP, "pending") == three
    raw = backend._items[(SNAP.service, SNAP.account)]
    assert is_pointer(raw)
    assert len(sealed_files(store_dir)) == 1  # each write replaced the file; the old ones are gone
    vault.promote(SNAP)
    vault.rollback(SNAP)
    assert vault.get(SNAP) == two
    assert vault.get(SNAP, "previous") == three
    assert set(vault.info(SNAP)) == {"current", "previous"}
    assert vault.refs() == [SNAP]
    # a fresh vault on the same keyring and store reads it all
    again = Vault(backend, backend_name="test", ephemeral=False, timeout=5, store=SealedStore(store_dir))
    assert again.require(SNAP) == two
    vault.delete(SNAP)
    assert vault.get(SNAP) is None
    assert sealed_files(store_dir) == []


def test_shrinking_back_under_the_budget_goes_inline(vault: Vault, backend: MemoryKeyring, store_dir: Path) -> None:
    vault.set_current(SNAP, snapshot("big"))
    vault.stage(SNAP, snapshot("big2"))
    vault.discard_pending(SNAP)
    assert is_pointer(backend._items[(SNAP.service, SNAP.account)])
    vault.delete(SNAP)
    vault.set_current(SNAP, Secret("small snapshot"))
    assert not is_pointer(backend._items[(SNAP.service, SNAP.account)])
    assert sealed_files(store_dir) == []


def test_many_credentials_make_a_large_index(vault: Vault, backend: MemoryKeyring) -> None:
    refs = [CredentialRef("sites", "site-app-password", f"https://shop-{i:03d}.example.co.ke") for i in range(60)]
    for i, ref in enumerate(refs):
        vault.set_current(ref, Secret(f"App#Password{i:03d}"))
    assert is_pointer(backend._items[(INDEX_SERVICE, INDEX_ACCOUNT)])
    assert vault.refs("sites") == sorted(refs, key=lambda r: r.name)
    for ref in refs[:50]:
        vault.delete(ref)
    assert vault.refs() == sorted(refs[50:], key=lambda r: r.name)


def test_an_old_format_oversized_item_is_read_and_rewritten_within_budget(store_dir: Path) -> None:
    """An item an earlier version wrote inline on a keyring without a limit (Linux, macOS)."""
    backend = KeychainLike()
    value = snapshot("old")
    document = {
        "format": "mpesa-agent/credential",
        "version": 1,
        "ref": {"profile": SNAP.profile, "kind": SNAP.kind, "name": SNAP.name},
        "versions": {"current": {"value": value.reveal(), "created_at": "2025-01-31T12:00:00+00:00", "note": ""}},
    }
    backend._items[(SNAP.service, SNAP.account)] = json.dumps(document)
    vault = Vault(backend, backend_name="test", ephemeral=False, timeout=5, store=SealedStore(store_dir))
    assert vault.require(SNAP) == value
    vault.stage(SNAP, snapshot("new"))
    raw = backend._items[(SNAP.service, SNAP.account)]
    assert is_pointer(raw)
    assert item_size(raw) <= ITEM_BUDGET_BYTES
    assert vault.get(SNAP) == value
    assert vault.get(SNAP, "pending") == snapshot("new")


def test_the_store_holds_only_ciphertext(vault: Vault, store_dir: Path) -> None:
    value = snapshot("Secret-Needle-42")
    vault.set_current(SNAP, value)
    files = sealed_files(store_dir)
    assert len(files) == 1
    data = files[0].read_bytes()
    assert len(data) > 2433  # it is the document, not a stub
    text = data.decode("latin-1")
    for needle in ("Secret-Needle-42", "mpesa_shortcode", "Lipa na M-PESA", "site-snapshot", "current"):
        assert needle not in text
        assert needle.encode("utf-16-le").decode("latin-1") not in text
    assert files[0].stat().st_mode & 0o077 == 0
    assert store_dir.stat().st_mode & 0o077 == 0


def test_a_tampered_or_swapped_file_is_refused(vault: Vault, backend: MemoryKeyring, store_dir: Path) -> None:
    other = CredentialRef("sites", "site-snapshot", "https://other.example")
    vault.set_current(SNAP, snapshot("a"))
    vault.set_current(other, snapshot("b"))
    mine, theirs = (backend._items[(r.service, r.account)] for r in (SNAP, other))
    backend._items[(SNAP.service, SNAP.account)] = theirs  # another item's pointer: the AAD does not match
    with pytest.raises(CorruptCredentialError) as caught:
        vault.get(SNAP)
    assert caught.value.exit_status == ExitStatus.AUTH
    assert SNAP.account in caught.value.message
    backend._items[(SNAP.service, SNAP.account)] = mine
    name = json.loads(mine)["file"]
    path = store_dir / name
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptCredentialError, match="damaged"):
        vault.get(SNAP)
    with pytest.raises(CorruptCredentialError):  # and it is never overwritten on a write
        vault.set_current(SNAP, snapshot("c"))
    assert backend._items[(SNAP.service, SNAP.account)] == mine
    path.unlink()
    with pytest.raises(CorruptCredentialError, match="missing"):
        vault.get(SNAP)
    vault.delete(SNAP)  # a damaged item can still be removed
    assert vault.get(SNAP) is None
    assert vault.get(other) == snapshot("b")


def test_when_the_store_cannot_write_nothing_is_written(backend: MemoryKeyring, tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_bytes(b"")
    vault = Vault(backend, backend_name="test", ephemeral=False, timeout=5, store=SealedStore(blocker / "vault"))
    vault.set_current(SNAP, Secret("small and fine"))
    with pytest.raises(KeyringError) as caught:
        vault.set_current(SNAP, snapshot("too big for the keyring"))
    error = caught.value
    assert error.exit_status == ExitStatus.AUTH
    assert SNAP.account in error.message
    assert "Nothing was written" in error.message
    assert vault.require(SNAP) == Secret("small and fine")
    assert vault.info(SNAP).keys() == {"current"}


def test_a_document_beyond_any_limit_is_a_clear_error(vault: Vault, backend: MemoryKeyring) -> None:
    with pytest.raises(KeyringError) as caught:
        vault.set_current(SNAP, Secret("y" * (MAX_SEALED_CHARS + 1)))
    assert SNAP.account in caught.value.message
    assert (SNAP.service, SNAP.account) not in backend._items
    assert vault.refs() == []


def test_the_budget_is_enforced_for_every_write(
    vault: Vault, backend: WindowsLimits | KeychainLike, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even if the sealed store produced an oversized pointer, it never reaches the keyring."""
    vault.set_current(SNAP, Secret("before"))
    writes = backend.writes
    store = vault._store
    real_seal = store.seal
    monkeypatch.setattr(store, "seal", lambda s, a, t: real_seal(s, a, t)[:-1] + ', "pad": "' + "p" * 3000 + '"}')
    with pytest.raises(KeyringError, match="cannot be made to fit"):
        vault.set_current(SNAP, snapshot("big"))
    assert backend.writes == writes
    assert vault.require(SNAP) == Secret("before")


def test_a_failed_keyring_write_leaves_no_new_file(store_dir: Path) -> None:
    class Refusing(KeychainLike):
        refuse = False

        def set_password(self, service: str, username: str, password: str) -> None:
            if self.refuse and username == SNAP.account:
                raise WinError(5, "CredWrite", "Access is denied.")
            super().set_password(service, username, password)

    backend = Refusing()
    vault = Vault(backend, backend_name="test", ephemeral=False, timeout=5, store=SealedStore(store_dir))
    vault.set_current(SNAP, snapshot("kept"))
    before = sealed_files(store_dir)
    backend.refuse = True
    with pytest.raises(KeyringError):
        vault.set_current(SNAP, snapshot("lost"))
    assert sealed_files(store_dir) == before
    assert vault.require(SNAP) == snapshot("kept")


def test_the_memory_vault_seals_in_memory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from agent.vault import open_vault

    monkeypatch.setenv("MPESA_AGENT_HOME", str(tmp_path / "home"))
    vault = open_vault("memory")
    vault.set_current(SNAP, snapshot("mem"))
    assert vault.require(SNAP) == snapshot("mem")
    assert not list(tmp_path.rglob("*.sealed"))


def test_orphans_of_interrupted_writes_are_swept(vault: Vault, backend: MemoryKeyring, store_dir: Path) -> None:
    import os
    import time

    vault.set_current(SNAP, snapshot("one"))
    store = vault._store
    orphan = store.seal(SNAP.service, SNAP.account, "an interrupted write")  # its pointer never reached the keyring
    young = store.seal(SNAP.service, SNAP.account, "another process, just now")
    old_name = json.loads(orphan)["file"]
    os.utime(store_dir / old_name, (time.time() - 7200, time.time() - 7200))
    assert len(sealed_files(store_dir)) == 3
    vault.set_current(SNAP, snapshot("two"))
    names = {p.name for p in sealed_files(store_dir)}
    assert old_name not in names
    assert json.loads(young)["file"] in names  # too young to be sure it is an orphan
    assert json.loads(backend._items[(SNAP.service, SNAP.account)])["file"] in names
    assert vault.require(SNAP) == snapshot("two")
