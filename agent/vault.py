"""The credential vault: every password the agent knows, in the OS keyring, with labelled versions.

What belongs here: naming credentials (``CredentialRef``), keeping their *current*, *pending* and *previous*
versions, choosing and guarding the keyring backend, and the in-memory stand-in for the demo and tests. Password
rules live in ``agent.passwords``; nothing here decides what a good password is.

Keyring layout (one item per credential; the item's secret is a small JSON document):

=====================================  ===============================  ==========================================
item                                   keyring service                  keyring user name (account)
=====================================  ===============================  ==========================================
an organisation's credential           ``mpesa-agent/<profile>``        ``<kind>:<name>``
                                       e.g. ``mpesa-agent/600000``      e.g. ``api-operator:mamaapi``
a site's credential                    ``mpesa-agent/sites``            e.g. ``site-app-password:https://shop.example``
the index (no secrets: which refs)     ``mpesa-agent``                  ``index``
=====================================  ===============================  ==========================================

The document: ``{"format": "mpesa-agent/credential", "version": 1, "ref": {...}, "versions": {"current":
{"value": "...", "created_at": "2025-01-31T12:00:00+00:00", "note": "..."}, "pending": {...}, "previous": {...}}}``.
Look at one with ``secret-tool lookup service mpesa-agent/600000 username api-operator:mamaapi``.

Size: every keyring item is at most ``agent.vault_store.ITEM_BUDGET_BYTES`` (2,560 bytes of UTF-16-LE, what
Windows Credential Manager takes), checked on every write on every OS. A document over that (the site-settings
snapshot, or any item whose versions together are too large; the index of many credentials) is kept AES-256-GCM
encrypted in ``<data dir>/vault`` and the keyring item holds instead a small pointer with the file name and its
key: ``{"format": "mpesa-agent/sealed", "version": 1, "file": "...", "key": "...", "cipher": "AES-256-GCM"}``
(``agent.vault_store`` argues this choice over chunked items). Documents that fit stay inline in the format above,
so items written by earlier versions (including oversized ones) are read as before and rewritten within budget.

Safety rules:

* Fail closed: only real OS keyrings are used (Secret Service, KWallet, macOS Keychain, Windows Credential
  Locker). keyring's fail/null backends, an empty chainer, and plaintext or file backends (keyrings.alt,
  keyrings.cryptfile) are refused with a ``KeyringError`` (exit 4) that says how to fix it. There is never a silent
  fallback. The in-memory vault is used only when asked for by name (``MPESA_AGENT_VAULT=memory``) and says so.
* Never hang: every keyring call runs in a daemon worker thread bounded by ``MPESA_AGENT_KEYRING_TIMEOUT``
  seconds (default 10, or 120 in a graphical session where a person may be answering an unlock prompt); a
  keyring that does not answer in time is a ``KeyringError``.
* Never lose what is stored: every write is read back and compared; if it does not match, the old document is
  written back. A document that cannot be parsed is reported (naming the item) and never overwritten.
* Never leak: errors carry no values and no raw keyring error text beyond redacted, short messages; the chained
  backend exception is dropped (``from None``) so tracebacks cannot show it either.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import (
    InitError,
    KeyringLocked,
    NoKeyringError,
    PasswordDeleteError,
    PasswordSetError,
)

from agent.errors import ConflictError, KeyringError, UsageError, ValidationError
from agent.secret import Secret, redact_text
from agent.vault_store import (
    ITEM_BUDGET_BYTES,
    SealedFileError,
    SealedStore,
    SealedStoreUnavailableError,
    default_store,
    fits,
    is_pointer,
    item_size,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

KINDS: Final = (
    "admin",
    "web-operator",
    "web-security",
    "api-operator",
    "daraja-consumer-key",
    "daraja-consumer-secret",
    "daraja-passkey",
    "site-app-password",
    "site-snapshot",
)
LABELS: Final = ("current", "pending", "previous")
SITES_PROFILE: Final = "sites"
SERVICE_PREFIX: Final = "mpesa-agent"
INDEX_SERVICE: Final = "mpesa-agent"
INDEX_ACCOUNT: Final = "index"
VAULT_ENV: Final = "MPESA_AGENT_VAULT"
TIMEOUT_ENV: Final = "MPESA_AGENT_KEYRING_TIMEOUT"
DEFAULT_TIMEOUT: Final = 10.0  # headless: nobody can answer an unlock prompt, so waiting longer only hangs
DESKTOP_TIMEOUT: Final = 120.0  # a desktop keyring may be showing an unlock/allow prompt to the person
DOC_FORMAT: Final = "mpesa-agent/credential"
INDEX_FORMAT: Final = "mpesa-agent/index"
DOC_VERSION: Final = 1

_PROFILE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class CredentialMissingError(UsageError):
    """A credential (or the version asked for) is not in the vault. Exit 2; the hint says how to store it."""


class CorruptCredentialError(KeyringError):
    """A keyring item exists but is not a document this version understands. It is left untouched."""


# --- References ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialRef:
    """Names one credential. ``service``/``account`` are the keyring coordinates (see the module docstring).

    ``profile`` is the organisation short code (e.g. ``"600000"``), or ``"sites"`` for site credentials;
    ``kind`` is one of ``KINDS``; ``name`` is the operator user name, or for sites the normalised site URL.
    """

    profile: str
    kind: str
    name: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValidationError(f"Unknown credential kind {self.kind!r}.", hint=f"Use one of: {', '.join(KINDS)}.")
        if not _PROFILE_RE.fullmatch(self.profile):
            raise ValidationError(
                f"Invalid profile name {self.profile!r} for a credential.",
                hint="A profile is the organisation short code, e.g. 600000 (or 'sites' for site credentials).",
            )
        site_kind = self.kind.startswith("site-")
        if site_kind != (self.profile == SITES_PROFILE):
            raise ValidationError(
                f"A {self.kind} credential belongs to {'the sites profile' if site_kind else 'an organisation'}, "
                f"not to profile {self.profile!r}.",
                hint="Site credentials use profile 'sites'; operator credentials use the organisation short code.",
            )
        if not self.name or len(self.name) > 512 or _CONTROL_RE.search(self.name) or self.name != self.name.strip():
            raise ValidationError(
                f"Invalid credential name {self.name!r}.",
                hint="Use the operator user name (e.g. mamaapi) or, for a site, its URL (e.g. https://shop.example).",
            )

    @property
    def service(self) -> str:
        """The keyring service name, e.g. ``mpesa-agent/600000`` or ``mpesa-agent/sites``."""
        return f"{SERVICE_PREFIX}/{self.profile}"

    @property
    def account(self) -> str:
        """The keyring user name, e.g. ``api-operator:mamaapi`` or ``site-app-password:https://shop.example``."""
        return f"{self.kind}:{self.name}"

    def describe(self) -> str:
        """Human text naming the item: ``service mpesa-agent/600000, account api-operator:mamaapi``."""
        return f"service {self.service}, account {self.account}"


@dataclass(frozen=True)
class VersionInfo:
    """What is known about one stored version, without its value."""

    label: str  # "current" | "pending" | "previous"
    created_at: datetime  # aware, UTC
    note: str  # free, non-secret text, e.g. "set on portal" / "generated"


@dataclass(frozen=True)
class _Version:
    value: Secret
    created_at: datetime
    note: str

    def to_json(self) -> dict[str, str]:
        return {"value": self.value.reveal(), "created_at": self.created_at.isoformat(), "note": self.note}


def _now() -> datetime:
    return datetime.now(UTC)


# --- The in-memory backend ----------------------------------------------------------------------------------------


class MemoryKeyring(KeyringBackend):
    """An explicitly ephemeral keyring backend holding items in this process's memory only.

    It is never chosen by keyring's automatic backend discovery (its priority raises), only by
    ``open_vault("memory")`` or by tests. It passes keyring's own backend contract tests.
    """

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("the in-memory keyring is used only when asked for explicitly")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._items: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._items.pop((service, username), None) is None:
                raise PasswordDeleteError("No such password!")


# --- Backend choice -------------------------------------------------------------------------------------------------

# Real OS keyrings, by class path, with the name shown to the user.
_ACCEPTED_BACKENDS: Final = {
    "keyring.backends.SecretService.Keyring": "Secret Service (keyring)",
    "keyring.backends.libsecret.Keyring": "Secret Service via libsecret (keyring)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet (keyring)",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet 4 (keyring)",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Locker",
}


def _class_path(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _platform_kind() -> str:
    system = platform.system()
    if system == "Darwin":
        return "macos"
    if system == "Windows":
        return "windows"
    try:
        with open("/proc/version", encoding="utf-8", errors="replace") as fh:
            if "microsoft" in fh.read().lower():
                return "wsl"
    except OSError:
        pass
    return "linux"


_LINUX_START = (
    "On a desktop, log in to the graphical session (GNOME Keyring or KWallet opens with it). "
    "On a server or over SSH: install the keyring (sudo apt-get install gnome-keyring dbus), start a shell with "
    "its own session bus: `dbus-run-session -- bash`, in it run `gnome-keyring-daemon --unlock "
    "--components=secrets`, type a keyring password and press Ctrl-D, then run mpesa-agent in that shell."
)


def _hint(problem: str) -> str:
    """How to fix a keyring ``problem`` ("unavailable", "locked", "timeout", "insecure") on this platform."""
    kind = _platform_kind()
    if kind == "macos":
        if problem == "locked":
            return "Unlock the login keychain: `security unlock-keychain ~/Library/Keychains/login.keychain-db`."
        return (
            "Make sure you are logged in to the Mac's desktop session and the login keychain exists and is "
            "unlocked (Keychain Access, or `security unlock-keychain`). Then run the command again."
        )
    if kind == "windows":
        return "Run mpesa-agent from your own logged-in Windows account (Credential Locker needs a user session)."
    prefix = "WSL starts no keyring by default. " if kind == "wsl" else ""
    if problem == "locked":
        return prefix + (
            "Unlock the keyring: on a desktop, open 'Passwords and Keys' (Seahorse) and unlock 'Login'. Headless: "
            "`gnome-keyring-daemon --replace --unlock --components=secrets`, type the keyring password, press "
            "Ctrl-D, and run the command again in the same session."
        )
    if problem == "timeout":
        return prefix + (
            "The keyring may be waiting for an unlock prompt nobody can see. Unlock it (see `gnome-keyring-daemon "
            f"--unlock`), or raise {TIMEOUT_ENV} (seconds) if it is just slow. " + _LINUX_START
        )
    if problem == "insecure":
        return prefix + (
            "mpesa-agent only stores passwords in a real OS keyring. Remove the PYTHON_KEYRING_BACKEND setting or "
            "the keyringrc.cfg that selects a file/plaintext keyring, or uninstall keyrings.alt. " + _LINUX_START
        )
    return prefix + _LINUX_START


def _default_timeout() -> float:
    kind = _platform_kind()
    desktop = kind in ("macos", "windows") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return DESKTOP_TIMEOUT if desktop else DEFAULT_TIMEOUT


def _timeout_from_env() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return _default_timeout()
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise UsageError(
            f"{TIMEOUT_ENV}={raw!r} is not a number of seconds between 0 and 3600.",
            hint=f"Unset it (default {_default_timeout():g} s here) or set e.g. {TIMEOUT_ENV}=30.",
        )
    return value


def _bounded(fn: Callable[[], T], *, timeout: float, what: str, backend_name: str) -> T:
    """Run ``fn`` in a daemon thread; a keyring that does not answer within ``timeout`` is a KeyringError."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=run, name="mpesa-agent-keyring", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise KeyringError(
            f"The OS keyring ({backend_name}) did not answer within {timeout:g} s while {what}.",
            hint=_hint("timeout"),
        )
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]


def _describe_exception(exc: BaseException) -> str:
    text = redact_text(str(exc)).strip().replace("\n", " ")
    if len(text) > 200:
        text = text[:200] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _keyring_backend(timeout: float) -> tuple[KeyringBackend, str]:
    """The OS keyring backend keyring would use, refused unless it is a real, secure OS keyring."""
    import keyring

    def choose() -> KeyringBackend:
        return keyring.get_keyring()

    try:
        backend = _bounded(choose, timeout=timeout, what="looking for the OS keyring", backend_name="keyring")
    except KeyringError:
        raise
    except Exception as exc:  # noqa: BLE001 - any backend start-up failure (e.g. PYTHON_KEYRING_BACKEND) means no keyring
        raise KeyringError(
            f"No usable OS keyring: starting the keyring backend failed ({_describe_exception(exc)}).",
            hint=_hint("unavailable"),
        ) from None
    chosen = backend
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        members = list(backend.backends)
        if not members:
            raise KeyringError("No OS keyring is available (keyring found no usable backend).", hint=_hint(""))
        chosen = members[0]  # the highest priority one; never let the chainer fall through to another
    path = _class_path(chosen)
    if path in _ACCEPTED_BACKENDS:
        return chosen, _ACCEPTED_BACKENDS[path]
    if path in ("keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"):
        raise KeyringError(f"No OS keyring is available ({_why_no_keyring(timeout)}).", hint=_hint("unavailable"))
    raise KeyringError(
        f"Refusing the keyring backend {path}: it is not a recognised OS keyring, and passwords must not be kept in "
        "a plain or home-made file.",
        hint=_hint("insecure"),
    )


def _why_no_keyring(timeout: float) -> str:
    if _platform_kind() in ("linux", "wsl"):
        address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        if not address:
            return "there is no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set"

        def probe() -> float:
            from keyring.backends import SecretService

            return float(SecretService.Keyring.priority)  # raises with the reason

        try:
            _bounded(probe, timeout=timeout, what="asking the Secret Service", backend_name="Secret Service")
        except KeyringError:
            return f"the Secret Service on the D-Bus session bus {address} did not answer in time"
        except Exception as exc:  # noqa: BLE001 - the reason is all we want
            return f"the Secret Service on the D-Bus session bus {address} did not answer: {_describe_exception(exc)}"
    return "keyring found no usable backend"


# --- The vault ------------------------------------------------------------------------------------------------------


class Vault:
    """Labelled versions of credentials in one keyring backend. Thread-safe within a process.

    ``backend_name`` is human readable; ``ephemeral`` says whether the values vanish when the process ends.
    """

    def __init__(
        self,
        backend: KeyringBackend,
        *,
        backend_name: str,
        ephemeral: bool,
        timeout: float | None = None,
        store: SealedStore | None = None,
    ) -> None:
        self._backend = backend
        self._store = default_store(ephemeral) if store is None else store
        self.backend_name = backend_name
        self.ephemeral = ephemeral
        self._timeout = _timeout_from_env() if timeout is None else timeout
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Vault({self.backend_name!r}, ephemeral={self.ephemeral})"

    # -- reading

    def get(self, ref: CredentialRef, label: str = "current") -> Secret | None:
        """The value stored under ``label`` (``current``, ``pending`` or ``previous``), or None."""
        _check_label(label)
        version = self._load(ref).get(label)
        return None if version is None else version.value

    def require(self, ref: CredentialRef, label: str = "current") -> Secret:
        """Like ``get``, but a missing value is a ``CredentialMissingError`` (exit 2) saying how to store it."""
        value = self.get(ref, label)
        if value is None:
            what = "" if label == "current" else f"{label} "
            raise CredentialMissingError(
                f"The {what}{_kind_text(ref.kind)} {ref.name!r} (profile {ref.profile}) is not in the vault "
                f"({self.backend_name}).",
                hint=_missing_hint(ref, self.ephemeral),
            )
        return value

    def info(self, ref: CredentialRef) -> dict[str, VersionInfo]:
        """Which versions exist, when they were stored and why; never the values."""
        return {
            label: VersionInfo(label=label, created_at=v.created_at, note=v.note)
            for label, v in self._load(ref).items()
        }

    def refs(self, profile: str | None = None) -> list[CredentialRef]:
        """Every credential the vault knows (from its index item), optionally only one profile's; sorted."""
        with self._lock:
            refs = self._read_index()
        return sorted((r for r in refs if profile is None or r.profile == profile), key=_ref_key)

    # -- writing

    def set_current(self, ref: CredentialRef, value: Secret, note: str = "") -> None:
        """Store ``value`` as current; the old current becomes previous. Storing the same value again is a no-op."""
        value = _check_value(value)
        with self._edit(ref) as versions:
            current = versions.get("current")
            if current is not None and current.value == value:
                return
            if current is not None:
                versions["previous"] = current
            versions["current"] = _Version(value, _now(), _check_note(note))

    def stage(self, ref: CredentialRef, value: Secret, note: str = "") -> None:
        """Store ``value`` as pending (e.g. before a portal password change). ConflictError if another is pending."""
        value = _check_value(value)
        with self._edit(ref) as versions:
            pending = versions.get("pending")
            if pending is not None:
                if pending.value == value:
                    return
                raise ConflictError(
                    f"A different pending {_kind_text(ref.kind)} for {ref.name!r} is already in the vault "
                    f"(staged {pending.created_at:%Y-%m-%d %H:%M} UTC: {pending.note or 'no note'}).",
                    hint="Finish that change first (re-run the command that started it), or discard it.",
                )
            versions["pending"] = _Version(value, _now(), _check_note(note))

    def promote(self, ref: CredentialRef) -> None:
        """Pending becomes current; the old current becomes previous."""
        with self._edit(ref) as versions:
            pending = versions.pop("pending", None)
            if pending is None:
                raise CredentialMissingError(
                    f"There is no pending {_kind_text(ref.kind)} for {ref.name!r} to promote.",
                    hint="Nothing to finish: the current version is still in use.",
                )
            if "current" in versions:
                versions["previous"] = versions["current"]
            versions["current"] = pending

    def discard_pending(self, ref: CredentialRef) -> None:
        """Forget the pending version, if any."""
        with self._edit(ref) as versions:
            versions.pop("pending", None)

    def rollback(self, ref: CredentialRef) -> None:
        """Previous becomes current again (and the current becomes previous)."""
        with self._edit(ref) as versions:
            previous = versions.get("previous")
            if previous is None:
                raise CredentialMissingError(
                    f"There is no previous {_kind_text(ref.kind)} for {ref.name!r} to roll back to.",
                    hint="Only a replaced credential has a previous version.",
                )
            current = versions.get("current")
            versions["current"] = previous
            if current is None:
                del versions["previous"]
            else:
                versions["previous"] = current

    def delete(self, ref: CredentialRef) -> None:
        """Remove the credential (all versions), also when its item is damaged. Deleting nothing is fine."""
        with self._lock:
            exists = self._call(lambda: self._backend.get_password(ref.service, ref.account), "reading", ref)
            if exists is not None:
                try:
                    self._call(lambda: self._backend.delete_password(ref.service, ref.account), "deleting", ref)
                except KeyringError:
                    if self._call(lambda: self._backend.get_password(ref.service, ref.account), "reading", ref):
                        raise
                self._store.discard(exists)
            refs = self._read_index()
            if ref in refs:
                refs.discard(ref)
                self._write_index(refs)
            log.debug("vault: deleted %s", ref.describe())

    # -- internals

    def _call(self, fn: Callable[[], T], action: str, item: CredentialRef | str) -> T:
        where = item.describe() if isinstance(item, CredentialRef) else item
        what = f"{action} the keyring item ({where})"
        try:
            return _bounded(fn, timeout=self._timeout, what=what, backend_name=self.backend_name)
        except KeyringError:
            raise
        except KeyringLocked as exc:
            log.debug("vault: keyring locked while %s: %s", what, _describe_exception(exc))
            raise KeyringError(f"The OS keyring ({self.backend_name}) is locked.", hint=_hint("locked")) from None
        except (InitError, NoKeyringError) as exc:
            log.debug("vault: keyring unavailable while %s: %s", what, _describe_exception(exc))
            raise KeyringError(
                f"The OS keyring ({self.backend_name}) is not available ({_describe_exception(exc)}).",
                hint=_hint("unavailable"),
            ) from None
        except (PasswordSetError, PasswordDeleteError) as exc:
            raise KeyringError(
                f"The OS keyring ({self.backend_name}) refused {what}: {_describe_exception(exc)}.",
                hint=_hint("locked"),
            ) from None
        except Exception as exc:  # noqa: BLE001 - backends raise anything (D-Bus, OS, ...): translated, never leaked
            text = _describe_exception(exc)
            locked = "lock" in text.lower()
            raise KeyringError(
                f"The OS keyring ({self.backend_name}) failed while {what}: {text}.",
                hint=_hint("locked" if locked else "unavailable"),
            ) from None

    def _read_raw(self, ref: CredentialRef) -> str | None:
        return self._call(lambda: self._backend.get_password(ref.service, ref.account), "reading", ref)

    def _read_item(self, service: str, account: str, item: CredentialRef | str) -> tuple[str | None, str | None]:
        """The keyring item's raw text and the document it holds (opened from the sealed store for a pointer).

        A pointer whose file cannot be opened is read once more (another process may just have replaced the
        item); if it still cannot be opened it is a ``CorruptCredentialError`` naming the item and the file.
        """
        raw = self._call(lambda: self._backend.get_password(service, account), "reading", item)
        for attempt in range(2):
            if raw is None or not is_pointer(raw):
                return raw, raw
            try:
                return raw, self._store.unseal(service, account, raw)
            except SealedFileError as exc:
                again = self._call(lambda: self._backend.get_password(service, account), "reading", item)
                if attempt == 1 or again == raw:
                    where = item.describe() if isinstance(item, CredentialRef) else item
                    raise CorruptCredentialError(
                        f"The keyring item ({where}) keeps its document in the encrypted store, but {exc} "
                        f"({self._store.where(raw)}); it was left untouched.",
                        hint="Restore the file from a backup of the agent's data directory if you have one; "
                        "otherwise delete the item and store the credential again.",
                    ) from None
                raw = again
        raise AssertionError("unreachable")  # pragma: no cover

    def _load(self, ref: CredentialRef) -> dict[str, _Version]:
        with self._lock:
            _, text = self._read_item(ref.service, ref.account, ref)
        return {} if text is None else _parse_document(text, ref)

    @contextmanager
    def _edit(self, ref: CredentialRef) -> Iterator[dict[str, _Version]]:
        """Read-modify-write one credential document, verified; the old document survives any failure."""
        with self._lock:
            raw, text = self._read_item(ref.service, ref.account, ref)
            old = {} if text is None else _parse_document(text, ref)
            versions = dict(old)
            yield versions
            if versions == old:
                return
            if not versions:
                self.delete(ref)
                return
            indexed_now = False
            if raw is None:  # a new credential: list it in the index first, so it can always be found
                refs = self._read_index()
                if ref not in refs:
                    refs.add(ref)
                    self._write_index(refs)
                    indexed_now = True
            try:
                self._write_verified(ref.service, ref.account, _dump_document(ref, versions), raw, ref)
            except KeyringError:
                if indexed_now:  # best effort: do not leave an index entry for an item that was not stored
                    try:
                        refs = self._read_index()
                        refs.discard(ref)
                        self._write_index(refs)
                    except KeyringError as exc:
                        log.warning("vault: could not take %s out of the index again: %s", ref.describe(), exc)
                raise
            log.debug("vault: stored %s (%s)", ref.describe(), ", ".join(sorted(versions)))

    def _write_verified(self, service: str, account: str, new: str, old: str | None, item: CredentialRef | str) -> None:
        """Store the document ``new`` in the item, inline when it fits the budget, else sealed; verified.

        ``old`` is the item's raw text before (an inline document, a pointer, or None). On any failure the old
        raw text is put back and a new sealed file is removed; after success the old sealed file is removed.
        """
        where = item.describe() if isinstance(item, CredentialRef) else item
        raw, sealed = new, not fits(new)
        if sealed:
            try:
                raw = self._store.seal(service, account, new)
            except SealedStoreUnavailableError as exc:
                raise KeyringError(
                    f"The keyring item ({where}) is too large for one OS keyring item ({item_size(new)} bytes; "
                    f"every OS keyring takes {ITEM_BUDGET_BYTES}) and the encrypted store could not keep it: {exc}. "
                    "Nothing was written.",
                    hint="Make the agent's data directory writable (or free disk space), then run the command again.",
                ) from None
        try:
            self._write_raw_verified(service, account, raw, old, item)
            if sealed and self._store.unseal(service, account, raw) != new:
                self._restore(service, account, old, item)
                raise KeyringError(
                    f"The encrypted store did not keep what was written for {where}; the previous contents were "
                    "put back.",
                    hint="Check the disk of the agent's data directory, then run the command again.",
                )
        except SealedFileError as exc:
            self._store.discard(raw)
            self._restore(service, account, old, item)
            raise KeyringError(
                f"The encrypted store did not keep what was written for {where} ({exc}); the previous contents were "
                "put back.",
                hint="Check the disk of the agent's data directory, then run the command again.",
            ) from None
        except KeyringError:
            if sealed:
                self._store.discard(raw)
            raise
        if old is not None and old != raw:
            self._store.discard(old)
        if sealed:
            self._store.sweep_orphans(service, account, raw)

    def _write_raw_verified(
        self, service: str, account: str, new: str, old: str | None, item: CredentialRef | str
    ) -> None:
        if not fits(new):  # every write, whatever made it: never hand a keyring more than all of them take
            where = item.describe() if isinstance(item, CredentialRef) else item
            raise KeyringError(
                f"The keyring item ({where}) cannot be made to fit one OS keyring item ({item_size(new)} bytes; "
                f"at most {ITEM_BUDGET_BYTES}). Nothing was written.",
                hint="Report this as a bug (run again with --debug); the stored credentials are unchanged.",
            )
        try:
            self._call(lambda: self._backend.set_password(service, account, new), "writing", item)
            stored = self._call(lambda: self._backend.get_password(service, account), "verifying", item)
        except KeyringError:
            self._restore(service, account, old, item)
            raise
        if stored != new:
            self._restore(service, account, old, item)
            where = item.describe() if isinstance(item, CredentialRef) else item
            raise KeyringError(
                f"The OS keyring ({self.backend_name}) did not keep what was written to {where}; the previous "
                "contents were put back.",
                hint="Check that the keyring is unlocked and not full, then run the command again.",
            )

    def _restore(self, service: str, account: str, old: str | None, item: CredentialRef | str) -> None:
        """After a failed write: make sure the old document is what the keyring holds (best effort, logged)."""
        try:
            now = self._call(lambda: self._backend.get_password(service, account), "checking", item)
            if now == old:
                return
            if old is None:
                self._call(lambda: self._backend.delete_password(service, account), "restoring", item)
            else:
                self._call(lambda: self._backend.set_password(service, account, old), "restoring", item)
            if self._call(lambda: self._backend.get_password(service, account), "checking", item) != old:
                log.warning("vault: the keyring did not take back the previous contents of %s", item)
        except KeyringError as exc:
            log.warning("vault: could not check or restore %s after a failed write: %s", item, exc.message)

    def _read_index(self) -> set[CredentialRef]:
        where = f"service {INDEX_SERVICE}, account {INDEX_ACCOUNT}"
        _, raw = self._read_item(INDEX_SERVICE, INDEX_ACCOUNT, where)
        if raw is None:
            return set()
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict) or doc.get("format") != INDEX_FORMAT:
                raise ValueError("not an mpesa-agent index")
            if doc.get("version") != DOC_VERSION:
                raise ValueError(f"index version {doc.get('version')!r} is not {DOC_VERSION}")
            return {CredentialRef(*entry) for entry in doc["refs"]}
        except (ValueError, TypeError, KeyError, ValidationError) as exc:
            raise CorruptCredentialError(
                f"The vault's index item in the OS keyring ({where}) is damaged ({type(exc).__name__}); it was left "
                "untouched.",
                hint=f"Remove it (`secret-tool clear service {INDEX_SERVICE} username {INDEX_ACCOUNT}` on Linux); "
                "the credentials themselves are separate items and stay. It is rebuilt as credentials are stored.",
            ) from None

    def _write_index(self, refs: set[CredentialRef]) -> None:
        where = f"service {INDEX_SERVICE}, account {INDEX_ACCOUNT}"
        old = self._call(lambda: self._backend.get_password(INDEX_SERVICE, INDEX_ACCOUNT), "reading", where)
        doc = {
            "format": INDEX_FORMAT,
            "version": DOC_VERSION,
            "refs": [[r.profile, r.kind, r.name] for r in sorted(refs, key=_ref_key)],
        }
        self._write_verified(INDEX_SERVICE, INDEX_ACCOUNT, json.dumps(doc, sort_keys=True), old, where)


def _ref_key(ref: CredentialRef) -> tuple[str, int, str]:
    return (ref.profile, KINDS.index(ref.kind), ref.name)


def _check_label(label: str) -> None:
    if label not in LABELS:
        raise UsageError(f"Unknown credential version {label!r}.", hint=f"Use one of: {', '.join(LABELS)}.")


def _check_value(value: Secret) -> Secret:
    if not isinstance(value, Secret):
        raise TypeError("vault values must be Secret instances")
    if not value:
        raise ValidationError("An empty credential cannot be stored.", hint="Give the password or secret itself.")
    return value


def _check_note(note: str) -> str:
    if len(note) > 200 or _CONTROL_RE.search(note):
        raise ValidationError("A vault note must be one line of at most 200 characters.")
    return note


_KIND_TEXT: Final = {
    "admin": "Business Administrator password",
    "web-operator": "web operator password",
    "web-security": "web operator's security answers",
    "api-operator": "API operator password",
    "daraja-consumer-key": "Daraja consumer key",
    "daraja-consumer-secret": "Daraja consumer secret",
    "daraja-passkey": "Lipa Na M-PESA Online passkey",
    "site-app-password": "site application password",
    "site-snapshot": "site settings snapshot",
}


def _kind_text(kind: str) -> str:
    return _KIND_TEXT.get(kind, kind)


def _missing_hint(ref: CredentialRef, ephemeral: bool) -> str:
    if ephemeral:
        return "This vault is in memory only (MPESA_AGENT_VAULT=memory) and starts empty in every run."
    if ref.kind == "admin":
        return (
            "Run `mpesa-agent setup`: it asks for the Business Administrator's password and stores it once the "
            "portal accepts it."
        )
    if ref.kind.startswith("site-"):
        return f"Link the site again: `mpesa-agent link-site {ref.name}`."
    return "Run `mpesa-agent setup` for this organisation: it creates or resumes the operator and stores its password."


class _NewerDocument(Exception):
    """The document's format version is not one this code reads."""


def _parse_document(raw: str, ref: CredentialRef) -> dict[str, _Version]:
    """The versions in a stored document; CorruptCredentialError (naming the item, never its content) otherwise."""
    try:
        return _parse_versions(raw)
    except _NewerDocument:
        problem = "was written by another version of mpesa-agent"
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        problem = f"is damaged ({type(exc).__name__})"
    raise CorruptCredentialError(
        f"The keyring item {ref.describe()} {problem}; it was left untouched.",
        hint=(
            f"Look at it with `secret-tool lookup service {ref.service} username {ref.account}` (Linux) or Keychain "
            f"Access (macOS). If it is not needed, remove it (`secret-tool clear service {ref.service} username "
            f"{ref.account}`) and store the credential again."
        ),
    )


def _parse_versions(raw: str) -> dict[str, _Version]:
    doc = json.loads(raw)
    if not isinstance(doc, dict) or doc.get("format") != DOC_FORMAT:
        raise ValueError("not an mpesa-agent credential document")
    if doc.get("version") != DOC_VERSION:
        raise _NewerDocument
    versions_doc = doc["versions"]
    if not isinstance(versions_doc, dict) or set(versions_doc) - set(LABELS):
        raise ValueError("unknown version labels")
    versions: dict[str, _Version] = {}
    for label, entry in versions_doc.items():
        value, created, note = entry["value"], entry["created_at"], entry.get("note", "")
        if not isinstance(value, str) or not value or not isinstance(note, str):
            raise ValueError("bad version entry")
        created_at = datetime.fromisoformat(created)
        if created_at.tzinfo is None:
            raise ValueError("timestamp without time zone")
        versions[label] = _Version(Secret(value), created_at.astimezone(UTC), note)
    return versions


def _dump_document(ref: CredentialRef, versions: dict[str, _Version]) -> str:
    return json.dumps(
        {
            "format": DOC_FORMAT,
            "version": DOC_VERSION,
            "ref": {"profile": ref.profile, "kind": ref.kind, "name": ref.name},
            "versions": {label: versions[label].to_json() for label in LABELS if label in versions},
        },
        sort_keys=True,
    )


# --- Opening ----------------------------------------------------------------------------------------------------------


def open_vault(kind: str | None = None) -> Vault:
    """The vault to use: ``kind`` None means ``$MPESA_AGENT_VAULT`` or ``"keyring"``.

    ``"keyring"``: the OS keyring, fail closed (``KeyringError``, exit 4, when none is usable).
    ``"memory"``: an explicitly ephemeral in-memory vault, announced with a warning; never the user's keyring.
    """
    chosen = (kind or os.environ.get(VAULT_ENV) or "keyring").strip().lower()
    timeout = _timeout_from_env()
    if chosen == "memory":
        log.warning("Using an in-memory vault: passwords are kept only until this process exits.")
        return Vault(MemoryKeyring(), backend_name="memory (ephemeral)", ephemeral=True, timeout=timeout)
    if chosen == "keyring":
        backend, name = _keyring_backend(timeout)
        log.debug("vault: using %s (%s)", name, _class_path(backend))
        return Vault(backend, backend_name=name, ephemeral=False, timeout=timeout)
    raise UsageError(
        f"Unknown vault {chosen!r} (from {VAULT_ENV} or the command line).",
        hint=f"Use 'keyring' (the OS keyring, the default) or 'memory' (ephemeral, for the demo); unset {VAULT_ENV}.",
    )
