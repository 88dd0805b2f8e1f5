"""agent.vault on the in-memory backend and on deliberately broken backends (no real keyring here).

The real Secret Service is exercised in tests/keyring_tier/test_vault_secret_service.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import keyring
import pytest
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringLocked, PasswordSetError
from keyring.testing.backend import BackendBasicTests

from agent.errors import ConflictError, ExitStatus, KeyringError, UsageError, ValidationError
from agent.secret import Secret
from agent.vault import (
    INDEX_ACCOUNT,
    INDEX_SERVICE,
    KINDS,
    CorruptCredentialError,
    CredentialMissingError,
    CredentialRef,
    MemoryKeyring,
    Vault,
    open_vault,
)

pytestmark = pytest.mark.unit

API = CredentialRef("600000", "api-operator", "mamaapi")
WEB = CredentialRef("600000", "web-operator", "mamaweb")
ADMIN = CredentialRef("600001", "admin", "boss")
SITE = CredentialRef("sites", "site-app-password", "https://shop.example")


@pytest.fixture
def vault() -> Vault:
    return open_vault("memory")


def memory_vault(backend: MemoryKeyring, timeout: float = 5) -> Vault:
    return Vault(backend, backend_name="test backend", ephemeral=True, timeout=timeout)


# --- Naming --------------------------------------------------------------------------------------------------------


def test_naming_scheme() -> None:
    assert (API.service, API.account) == ("mpesa-agent/600000", "api-operator:mamaapi")
    assert (SITE.service, SITE.account) == ("mpesa-agent/sites", "site-app-password:https://shop.example")
    assert API.describe() == "service mpesa-agent/600000, account api-operator:mamaapi"


@pytest.mark.parametrize(
    ("profile", "kind", "name"),
    [
        ("600000", "operator", "x"),  # unknown kind
        ("600000", "site-app-password", "https://x"),  # a site credential outside "sites"
        ("sites", "admin", "boss"),  # an operator credential inside "sites"
        ("", "admin", "boss"),
        ("60/0000", "admin", "boss"),
        ("600000", "admin", ""),
        ("600000", "admin", " boss"),
        ("600000", "admin", "bo\nss"),
    ],
)
def test_bad_refs_are_validation_errors(profile: str, kind: str, name: str) -> None:
    with pytest.raises(ValidationError):
        CredentialRef(profile, kind, name)


# --- Versions ------------------------------------------------------------------------------------------------------


def test_set_current_keeps_previous(vault: Vault) -> None:
    assert vault.get(API) is None
    vault.set_current(API, Secret("Old#Pass1"), note="set on portal")
    vault.set_current(API, Secret("New#Pass2"), note="rotated")
    assert vault.require(API).reveal() == "New#Pass2"
    assert vault.require(API, "previous").reveal() == "Old#Pass1"
    vault.set_current(API, Secret("New#Pass2"), note="again")  # the same value: nothing changes
    assert vault.require(API, "previous").reveal() == "Old#Pass1"
    assert vault.info(API)["current"].note == "rotated"


def test_stage_promote_rollback(vault: Vault) -> None:
    vault.set_current(API, Secret("One#Pass1"))
    vault.stage(API, Secret("Two#Pass2"), note="generated")
    assert vault.get(API).reveal() == "One#Pass1"  # type: ignore[union-attr]
    assert vault.get(API, "pending").reveal() == "Two#Pass2"  # type: ignore[union-attr]
    vault.stage(API, Secret("Two#Pass2"))  # the same pending again is fine (a re-run)
    with pytest.raises(ConflictError) as conflict:
        vault.stage(API, Secret("Three#Pass3"))
    assert conflict.value.exit_status == ExitStatus.CONFLICT
    assert "Three" not in conflict.value.message
    vault.promote(API)
    assert set(vault.info(API)) == {"current", "previous"}
    assert vault.require(API).reveal() == "Two#Pass2"
    assert vault.require(API, "previous").reveal() == "One#Pass1"
    vault.rollback(API)
    assert vault.require(API).reveal() == "One#Pass1"
    assert vault.require(API, "previous").reveal() == "Two#Pass2"


def test_promote_into_empty_and_discard(vault: Vault) -> None:
    vault.stage(WEB, Secret("First#Pw1"))
    assert vault.get(WEB) is None
    vault.promote(WEB)
    assert set(vault.info(WEB)) == {"current"}
    vault.stage(WEB, Secret("Second#Pw2"))
    vault.discard_pending(WEB)
    vault.discard_pending(WEB)  # twice is fine
    assert set(vault.info(WEB)) == {"current"}


def test_errors_without_versions(vault: Vault) -> None:
    with pytest.raises(CredentialMissingError, match="no pending"):
        vault.promote(API)
    vault.set_current(API, Secret("Only#Pass1"))
    with pytest.raises(CredentialMissingError, match="no previous"):
        vault.rollback(API)
    with pytest.raises(CredentialMissingError) as missing:
        vault.require(ADMIN)
    assert missing.value.exit_status == ExitStatus.USAGE
    assert missing.value.hint
    with pytest.raises(UsageError, match="Unknown credential version"):
        vault.get(API, "older")
    with pytest.raises(ValidationError, match="empty"):
        vault.set_current(API, Secret(""))


def test_info_has_no_values_and_utc_times(vault: Vault) -> None:
    before = datetime.now(UTC)
    vault.set_current(API, Secret("Info#Pass1"), note="set on portal")
    info = vault.info(API)
    assert list(info) == ["current"]
    assert info["current"].label == "current"
    assert info["current"].note == "set on portal"
    assert info["current"].created_at.tzinfo is not None
    assert before - timedelta(seconds=1) <= info["current"].created_at <= datetime.now(UTC)
    assert "Info#Pass1" not in repr(info)
    assert vault.info(ADMIN) == {}


def test_refs_index_and_delete(vault: Vault) -> None:
    for ref in (SITE, WEB, API, ADMIN):
        vault.set_current(ref, Secret("Some#Pass1"))
    assert vault.refs() == [WEB, API, ADMIN, SITE]  # by profile, then in the order of KINDS
    assert vault.refs("600000") == [WEB, API]
    vault.delete(WEB)
    vault.delete(WEB)  # twice is fine
    assert vault.get(WEB) is None
    assert vault.refs("600000") == [API]


def test_discarding_the_only_version_removes_the_item(vault: Vault) -> None:
    vault.stage(API, Secret("Only#Pending1"))
    vault.discard_pending(API)
    assert vault.refs() == []
    assert vault.info(API) == {}


def test_stored_document_format() -> None:
    backend = MemoryKeyring()
    vault = memory_vault(backend)
    vault.set_current(API, Secret("Doc#Pass1"), note="n")
    doc = json.loads(backend.get_password(API.service, API.account) or "")
    assert doc["format"] == "mpesa-agent/credential"
    assert doc["version"] == 1
    assert doc["ref"] == {"profile": "600000", "kind": "api-operator", "name": "mamaapi"}
    assert doc["versions"]["current"]["value"] == "Doc#Pass1"
    datetime.fromisoformat(doc["versions"]["current"]["created_at"])
    index = json.loads(backend.get_password(INDEX_SERVICE, INDEX_ACCOUNT) or "")
    assert index["refs"] == [["600000", "api-operator", "mamaapi"]]


def test_every_kind_can_be_stored(vault: Vault) -> None:
    for kind in KINDS:
        ref = CredentialRef("sites" if kind.startswith("site-") else "600000", kind, "n")
        vault.set_current(ref, Secret(f"{kind}-value"))
        assert vault.require(ref).reveal() == f"{kind}-value"


# --- Opening and choosing the backend ---------------------------------------------------------------------------------


def test_open_memory_is_announced(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPESA_AGENT_VAULT", "memory")
    vault = open_vault()
    assert vault.ephemeral
    assert vault.backend_name == "memory (ephemeral)"
    assert "in-memory vault" in caplog.text
    assert open_vault("memory").get(API) is None  # every memory vault starts empty


def test_open_unknown_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="Unknown vault 'plaintext'"):
        open_vault("plaintext")
    monkeypatch.setenv("MPESA_AGENT_KEYRING_TIMEOUT", "soon")
    with pytest.raises(UsageError, match="MPESA_AGENT_KEYRING_TIMEOUT"):
        open_vault("memory")


def test_memory_keyring_is_never_chosen_automatically() -> None:
    assert not MemoryKeyring.viable
    assert MemoryKeyring not in set(keyring.backend.get_all_keyring()) | {
        type(b) for b in keyring.backend.get_all_keyring()
    }


PlaintextKeyring = type("PlaintextKeyring", (), {"__module__": "keyrings.alt.file"})
CryptFileKeyring = type("CryptFileKeyring", (), {"__module__": "keyrings.cryptfile.cryptfile"})


@pytest.mark.parametrize(
    ("backend", "needle"),
    [
        (fail.Keyring(), "No OS keyring is available"),
        (null.Keyring(), "No OS keyring is available"),
        (PlaintextKeyring(), "Refusing the keyring backend keyrings.alt.file.PlaintextKeyring"),
        (CryptFileKeyring(), "Refusing the keyring backend keyrings.cryptfile"),
        (MemoryKeyring(), "Refusing the keyring backend agent.vault.MemoryKeyring"),
    ],
)
def test_keyring_fails_closed(monkeypatch: pytest.MonkeyPatch, backend: object, needle: str) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    with pytest.raises(KeyringError, match=needle) as info:
        open_vault("keyring")
    assert info.value.exit_status == ExitStatus.AUTH
    assert info.value.hint


def test_chainer_with_nothing_or_a_file_first(monkeypatch: pytest.MonkeyPatch) -> None:
    chainer = ChainerBackend()
    monkeypatch.setattr(keyring, "get_keyring", lambda: chainer)
    monkeypatch.setattr(ChainerBackend, "backends", [])
    with pytest.raises(KeyringError, match="No OS keyring"):
        open_vault("keyring")
    monkeypatch.setattr(ChainerBackend, "backends", [PlaintextKeyring(), fail.Keyring()])
    with pytest.raises(KeyringError, match=r"Refusing the keyring backend keyrings\.alt"):
        open_vault("keyring")


def test_no_dbus_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setattr("agent.vault._platform_kind", lambda: "linux")
    with pytest.raises(KeyringError, match="no D-Bus session bus") as info:
        open_vault("keyring")
    assert "dbus-run-session -- bash" in (info.value.hint or "")
    assert "gnome-keyring-daemon --unlock --components=secrets" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("platform_kind", "needle"),
    [("macos", "security unlock-keychain"), ("wsl", "WSL starts no keyring"), ("linux", "Seahorse")],
)
def test_locked_hint_per_platform(monkeypatch: pytest.MonkeyPatch, platform_kind: str, needle: str) -> None:
    monkeypatch.setattr("agent.vault._platform_kind", lambda: platform_kind)

    class Locked(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            raise KeyringLocked("Failed to unlock the collection!")

    with pytest.raises(KeyringError, match="is locked") as info:
        memory_vault(Locked()).get(API)
    assert needle in (info.value.hint or "")


# --- Failures never lose what is stored -------------------------------------------------------------------------------


class Refusing(MemoryKeyring):
    """Refuses every write once ``refuse`` is set; its error text carries the value (as some backends' do)."""

    refuse = False

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse:
            raise PasswordSetError(f"cannot store {password!r}")
        super().set_password(service, username, password)


class Lying(MemoryKeyring):
    """Accepts the next ``lies`` writes but keeps truncated copies of them."""

    lies = 0

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.lies:
            self.lies -= 1
            password = password[:-3]
        super().set_password(service, username, password)


def test_failed_write_keeps_old_document() -> None:
    backend = Refusing()
    vault = memory_vault(backend)
    vault.set_current(API, Secret("Keep#Pass1"))
    before = backend.get_password(API.service, API.account)
    backend.refuse = True
    with pytest.raises(KeyringError, match="refused writing") as info:
        vault.set_current(API, Secret("Lost#Pass2"))
    assert "Lost#Pass2" not in info.value.message
    assert backend.get_password(API.service, API.account) == before
    assert vault.require(API).reveal() == "Keep#Pass1"


def test_unverified_write_is_undone() -> None:
    backend = Lying()
    vault = memory_vault(backend)
    vault.set_current(API, Secret("Keep#Pass1"))
    before = backend.get_password(API.service, API.account)
    backend.lies = 1
    with pytest.raises(KeyringError, match="did not keep what was written") as info:
        vault.stage(API, Secret("Next#Pass2"))
    assert "previous contents were put back" in info.value.message
    assert backend.get_password(API.service, API.account) == before
    assert vault.require(API).reveal() == "Keep#Pass1"
    assert vault.get(API, "pending") is None


def test_unverified_new_item_is_removed() -> None:
    backend = Lying()
    vault = memory_vault(backend)
    vault.set_current(WEB, Secret("Other#Pass1"))
    backend.lies = 1
    with pytest.raises(KeyringError, match="did not keep what was written"):
        vault.set_current(API, Secret("New#Pass1"))
    assert backend.get_password(API.service, API.account) is None
    assert vault.refs() == [WEB]
    assert vault.require(WEB).reveal() == "Other#Pass1"


def test_corrupt_item_is_named_and_untouched() -> None:
    backend = MemoryKeyring()
    vault = memory_vault(backend)
    backend.set_password(API.service, API.account, "Not#Json-Secret1")
    for action in (
        lambda: vault.get(API),
        lambda: vault.info(API),
        lambda: vault.set_current(API, Secret("New#Pass1")),
        lambda: vault.stage(API, Secret("New#Pass1")),
    ):
        with pytest.raises(CorruptCredentialError) as info:
            action()
        assert "service mpesa-agent/600000, account api-operator:mamaapi" in info.value.message
        assert "left untouched" in info.value.message
        assert "Not#Json" not in info.value.message
        assert "secret-tool" in (info.value.hint or "")
        assert info.value.exit_status == ExitStatus.AUTH
    assert backend.get_password(API.service, API.account) == "Not#Json-Secret1"
    vault.delete(API)  # deleting is how the owner gets rid of it
    assert backend.get_password(API.service, API.account) is None


def test_document_from_another_version() -> None:
    backend = MemoryKeyring()
    doc = {"format": "mpesa-agent/credential", "version": 99, "versions": {}}
    backend.set_password(API.service, API.account, json.dumps(doc))
    with pytest.raises(CorruptCredentialError, match="another version of mpesa-agent"):
        memory_vault(backend).get(API)


@pytest.mark.parametrize(
    "versions",
    [
        {"current": {"value": "x1#Aaaaa", "created_at": "yesterday"}},
        {"current": {"value": "x1#Aaaaa", "created_at": "2025-01-01T00:00:00"}},  # no time zone
        {"current": {"value": "", "created_at": "2025-01-01T00:00:00+00:00"}},
        {"current": {"value": 5, "created_at": "2025-01-01T00:00:00+00:00"}},
        {"latest": {"value": "x1#Aaaaa", "created_at": "2025-01-01T00:00:00+00:00"}},
        {"current": "x1#Aaaaa"},
        [],
    ],
)
def test_damaged_documents(versions: object) -> None:
    backend = MemoryKeyring()
    doc = {"format": "mpesa-agent/credential", "version": 1, "versions": versions}
    backend.set_password(API.service, API.account, json.dumps(doc))
    with pytest.raises(CorruptCredentialError, match="is damaged"):
        memory_vault(backend).get(API)


def test_corrupt_index() -> None:
    backend = MemoryKeyring()
    vault = memory_vault(backend)
    backend.set_password(INDEX_SERVICE, INDEX_ACCOUNT, "{}")
    with pytest.raises(CorruptCredentialError, match="index"):
        vault.refs()
    with pytest.raises(CorruptCredentialError):
        vault.set_current(API, Secret("New#Pass1"))  # a new credential must be indexed first
    assert backend.get_password(API.service, API.account) is None
    assert backend.get_password(INDEX_SERVICE, INDEX_ACCOUNT) == "{}"


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # let the stuck worker thread finish


def test_a_hanging_keyring_times_out(release: threading.Event) -> None:
    class Hanging(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            release.wait(30)
            return None

    vault = memory_vault(Hanging(), timeout=0.3)
    started = time.monotonic()
    with pytest.raises(KeyringError, match=r"did not answer within 0.3 s") as info:
        vault.get(API)
    assert time.monotonic() - started < 3
    assert "MPESA_AGENT_KEYRING_TIMEOUT" in (info.value.hint or "")


def test_timeout_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("agent.vault._platform_kind", lambda: "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert open_vault("memory")._timeout == 10  # headless: nobody can answer a prompt
    monkeypatch.setenv("DISPLAY", ":0")
    assert open_vault("memory")._timeout == 120  # a person may be typing the keyring password
    monkeypatch.setenv("MPESA_AGENT_KEYRING_TIMEOUT", "2.5")
    assert open_vault("memory")._timeout == 2.5
    for bad in ("0", "-1", "soon", "99999"):
        monkeypatch.setenv("MPESA_AGENT_KEYRING_TIMEOUT", bad)
        with pytest.raises(UsageError, match="MPESA_AGENT_KEYRING_TIMEOUT"):
            open_vault("memory")


def test_unexpected_backend_errors_become_keyring_errors() -> None:
    class Broken(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            raise ConnectionResetError("the bus went away")

    with pytest.raises(KeyringError, match="ConnectionResetError: the bus went away") as info:
        memory_vault(Broken()).get(API)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


# --- keyring's own contract for the in-memory stand-in ---------------------------------------------------------------


class TestMemoryKeyringContract(BackendBasicTests):
    def init_keyring(self) -> MemoryKeyring:
        return MemoryKeyring()
