"""Keyring items of a size every OS keyring takes, and the encrypted file store for documents that are larger.

What belongs here: the size budget of one keyring item (``ITEM_BUDGET_BYTES``, measured as Windows measures it),
and ``SealedStore``, which keeps a document that is over the budget as an AEAD-encrypted file whose key lives in
the keyring item instead of the document. ``agent.vault`` decides *what* is stored; this module only decides
*where the bytes go* and never interprets a document.

Why a budget: Windows Credential Manager refuses a credential blob over 2,560 bytes (``CRED_MAX_CREDENTIAL_BLOB_SIZE``)
and keyring stores the text as UTF-16-LE, so about 1,280 characters fit. The plugin-settings snapshot kept for
rollback is ~2.4k characters on a real shop, and an item holds current/pending/previous versions with timestamps.
The budget is enforced on every platform, so Linux and macOS runs exercise the same code path Windows takes.

Why an encrypted file rather than chunked keyring items (the alternative considered):

* **Atomic replacement.** A sealed document is written to a new file (``os.replace`` of a fsync'ed temporary file)
  and becomes visible only when the single, small keyring item that points at it is written and read back; the old
  file is removed after that. A crash at any point leaves either the old pointer with its intact old file or the
  new pointer with its new file. Chunks spread one document over several keyring items, which no keyring updates
  together: a crash between chunk writes leaves a mix that only a manifest check can detect, and it cannot be
  repaired.
* **One keyring call per write, not ten.** A three-version snapshot would need 8-10 chunk items on Windows; every
  keyring call can raise an unlock prompt or time out (``agent.vault``'s bounded calls), and the Secret Service
  round-trips over D-Bus.
* **Secrecy is unchanged.** The key (256-bit, fresh for every write) exists only in the OS keyring; the file holds
  AES-256-GCM ciphertext (``cryptography``'s ``AESGCM``, a well-kept, audited library), authenticated with the
  item's keyring coordinates and the file name as associated data, so a file swapped between items, truncated or
  edited fails to open (``SealedFileError``) instead of returning wrong data. Without the keyring the files are
  useless; copying them leaks nothing but their length.

Files live in ``agent.settings.paths().data_dir / "vault"`` (private, 0700 directory, 0600 files), written in
binary mode. An interrupted write can leave an orphan file; its key was never stored, so it is undecryptable noise
(``SealedStore.sweep_orphans`` removes such files). The in-memory vault uses an in-memory ``SealedStore``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from agent.secret import remember

#: The most a keyring item may hold: Windows' CRED_MAX_CREDENTIAL_BLOB_SIZE, in UTF-16-LE bytes.
ITEM_BUDGET_BYTES: Final = 2560
#: The largest document the sealed store keeps (far above any real credential document).
MAX_SEALED_CHARS: Final = 1_000_000
POINTER_FORMAT: Final = "mpesa-agent/sealed"
POINTER_VERSION: Final = 1
_MAGIC: Final = b"MPAS1\n"
_NONCE_LEN: Final = 12
_SUFFIX: Final = ".sealed"


def item_size(raw: str) -> int:
    """The size of ``raw`` as Windows counts a credential blob: UTF-16-LE bytes (no BOM, no terminator)."""
    return len(raw.encode("utf-16-le", errors="surrogatepass"))


def fits(raw: str) -> bool:
    """True when ``raw`` fits in one keyring item on every OS keyring."""
    return item_size(raw) <= ITEM_BUDGET_BYTES


class SealedFileError(Exception):
    """A sealed file is missing, damaged or not the one its pointer names. ``agent.vault`` names the item."""


class SealedStoreUnavailableError(Exception):
    """The sealed store cannot write (directory not writable, disk full, document too large)."""


def is_pointer(raw: str) -> bool:
    """True when the keyring item text ``raw`` is a pointer to a sealed file rather than an inline document."""
    if not raw.startswith("{") or POINTER_FORMAT not in raw:
        return False
    try:
        doc = json.loads(raw)
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("format") == POINTER_FORMAT


def _item_key(service: str, account: str) -> str:
    return hashlib.sha256(f"{service}\x00{account}".encode()).hexdigest()[:32]


def _aad(service: str, account: str, name: str) -> bytes:
    return f"{POINTER_FORMAT}/{POINTER_VERSION}\x00{service}\x00{account}\x00{name}".encode()


class SealedStore:
    """AEAD-encrypted documents in files (``directory``) or, with ``directory=None``, in this process's memory."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._memory: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SealedStore({str(self.directory) if self.directory else 'memory'})"

    # -- writing

    def seal(self, service: str, account: str, text: str) -> str:
        """Encrypt ``text`` into a new file for the item (service, account); the pointer text for the keyring."""
        if len(text) > MAX_SEALED_CHARS:
            raise SealedStoreUnavailableError(f"the document is larger than {MAX_SEALED_CHARS} characters")
        key = AESGCM.generate_key(bit_length=256)
        nonce = secrets.token_bytes(_NONCE_LEN)
        name = f"{_item_key(service, account)}.{secrets.token_hex(8)}{_SUFFIX}"
        data = _MAGIC + nonce + AESGCM(key).encrypt(nonce, text.encode("utf-8"), _aad(service, account, name))
        self._write(name, data)
        key_text = base64.b64encode(key).decode("ascii")
        remember(key_text)  # the key is as secret as the document: redaction masks it everywhere
        pointer = {
            "format": POINTER_FORMAT,
            "version": POINTER_VERSION,
            "file": name,
            "key": key_text,
            "cipher": "AES-256-GCM",
        }
        return json.dumps(pointer, sort_keys=True)

    def discard(self, pointer_raw: str | None) -> None:
        """Remove the file a pointer names (best effort; a missing file is fine)."""
        if not pointer_raw or not is_pointer(pointer_raw):
            return
        try:
            name = self._pointer(pointer_raw)[0]
        except SealedFileError:
            return
        self._remove(name)

    def sweep_orphans(self, service: str, account: str, keep: str | None, *, min_age_s: float = 3600.0) -> int:
        """Remove the item's files, other than the one ``keep`` (a pointer text) names, older than ``min_age_s``.

        Such files are leftovers of interrupted writes (their keys were never stored). Young files are left alone:
        another process may have written one and not yet stored its pointer. Returns how many were removed.
        """
        keep_name = self._pointer(keep)[0] if keep and is_pointer(keep) else None
        prefix = _item_key(service, account) + "."
        removed = 0
        now = time.time()
        for name in self._names():
            if not name.startswith(prefix) or name == keep_name:
                continue
            if self.directory is not None:
                try:
                    if now - (self.directory / name).stat().st_mtime < min_age_s:
                        continue
                except OSError:
                    continue
            self._remove(name)
            removed += 1
        return removed

    # -- reading

    def unseal(self, service: str, account: str, pointer_raw: str) -> str:
        """The document a pointer names, decrypted and authenticated; SealedFileError otherwise."""
        name, key = self._pointer(pointer_raw)
        data = self._read(name)
        if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + _NONCE_LEN + 16:
            raise SealedFileError(f"the encrypted file {name} is damaged (no valid header)")
        nonce = data[len(_MAGIC) : len(_MAGIC) + _NONCE_LEN]
        try:
            plain = AESGCM(key).decrypt(nonce, data[len(_MAGIC) + _NONCE_LEN :], _aad(service, account, name))
        except InvalidTag:
            raise SealedFileError(f"the encrypted file {name} is damaged or belongs to another item") from None
        return plain.decode("utf-8")

    def where(self, pointer_raw: str) -> str:
        """Human text naming the file a pointer refers to (no key)."""
        try:
            name = self._pointer(pointer_raw)[0]
        except SealedFileError:
            return "an unreadable pointer"
        return str(self.directory / name) if self.directory else f"memory:{name}"

    # -- internals

    @staticmethod
    def _pointer(raw: str) -> tuple[str, bytes]:
        try:
            doc: Any = json.loads(raw)
            if doc.get("format") != POINTER_FORMAT or doc.get("version") != POINTER_VERSION:
                raise ValueError("not a pointer this version reads")
            name, key = str(doc["file"]), base64.b64decode(doc["key"], validate=True)
            remember(str(doc["key"]))
            if len(key) != 32 or "/" in name or "\\" in name or not name.endswith(_SUFFIX) or name.startswith("."):
                raise ValueError("bad pointer fields")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise SealedFileError(f"the pointer to the encrypted file is damaged ({type(exc).__name__})") from None
        return name, key

    def _names(self) -> list[str]:
        if self.directory is None:
            with self._lock:
                return list(self._memory)
        try:
            return [p.name for p in self.directory.iterdir() if p.name.endswith(_SUFFIX)]
        except FileNotFoundError:
            return []

    def _read(self, name: str) -> bytes:
        if self.directory is None:
            with self._lock:
                if name not in self._memory:
                    raise SealedFileError(f"the encrypted file {name} is missing")
                return self._memory[name]
        try:
            return (self.directory / name).read_bytes()
        except FileNotFoundError:
            raise SealedFileError(f"the encrypted file {self.directory / name} is missing") from None
        except OSError as exc:
            raise SealedFileError(
                f"the encrypted file {self.directory / name} cannot be read ({exc.strerror})"
            ) from None

    def _write(self, name: str, data: bytes) -> None:
        if self.directory is None:
            with self._lock:
                self._memory[name] = data
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                self.directory.chmod(0o700)
            except OSError:
                pass
            tmp = self.directory / f".{name}.{secrets.token_hex(4)}.tmp"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(tmp, flags, 0o600)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.directory / name)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise SealedStoreUnavailableError(
                f"cannot write to {self.directory} ({exc.strerror or type(exc).__name__})"
            ) from None

    def _remove(self, name: str) -> None:
        if self.directory is None:
            with self._lock:
                self._memory.pop(name, None)
            return
        try:
            (self.directory / name).unlink(missing_ok=True)
        except OSError:
            pass


def default_store(ephemeral: bool) -> SealedStore:
    """The store beside a vault: in memory for an ephemeral vault, else ``<data dir>/vault``."""
    if ephemeral:
        return SealedStore(None)
    from agent.settings import paths

    return SealedStore(paths().data_dir / "vault")
