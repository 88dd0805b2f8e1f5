"""Canary: known secret values go through the vault (and the password checker) with debug logging on, through
successes and failures, and none of them shows up in stderr, a log file or any exception text or traceback.

Logging is set up the way the CLI does it (``RedactingFilter`` on each handler), plus a debug log file. The
detector itself is checked first, so this test cannot pass by looking in the wrong place.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keyring.errors import KeyringLocked, PasswordSetError

from agent.errors import AgentError
from agent.passwords import check_password, generate_password
from agent.secret import RedactingFilter, Secret
from agent.vault import CredentialRef, MemoryKeyring, Vault, open_vault

pytestmark = pytest.mark.unit

# Known values; two contain characters that JSON or URL encoding would change, so escaped leaks are caught too.
CANARIES = ["Canary#Pass1", 'Qu"o\\te$Canary9', "Ünïcødé%Canary7", "Tr1cky&Canary<x>"]
API = CredentialRef("600000", "api-operator", "canary")
WEB = CredentialRef("600000", "web-operator", "canaryweb")


def forms(value: str) -> set[str]:
    return {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        urllib.parse.quote_plus(value),
        urllib.parse.quote(value, safe=""),
    }


def leaks(text: str, values: list[str]) -> list[str]:
    return sorted({form for value in values for form in forms(value) if form in text})


class CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (pytest swaps it between test phases)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


@pytest.fixture
def debug_logging(tmp_path: Path) -> Iterator[Path]:
    """Root logger at DEBUG to stderr and to a file, each handler redacting, like ``agent.cli`` with --debug."""
    log_file = tmp_path / "debug.log"
    root = logging.getLogger()
    saved = (root.level, root.handlers[:])
    stream = CurrentStderr()
    file = logging.FileHandler(log_file, encoding="utf-8")
    for handler in (stream, file):
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.handlers[:] = [stream, file]
    root.setLevel(logging.DEBUG)
    try:
        yield log_file
    finally:
        file.close()
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])


class Hostile(MemoryKeyring):
    """A backend whose errors carry whatever it was given, as careless backends do."""

    mode = "ok"
    released = threading.Event()

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.mode == "refuse":  # the values as they are inside the JSON document (escaped)
            raise PasswordSetError("cannot store " + ", ".join(re.findall(r'"value": "((?:[^"\\]|\\.)*)"', password)))
        if self.mode == "crash":  # the plain value
            raise RuntimeError(f"backend crashed on {json.loads(password)['versions']['current']['value']}")
        super().set_password(service, username, password)

    def get_password(self, service: str, username: str) -> str | None:
        value = super().get_password(service, username)
        if self.mode == "locked":
            raise KeyringLocked(f"locked, cannot read {value}")
        if self.mode == "hang":
            self.released.wait(30)
        return value


def run_everything(errors: list[BaseException]) -> None:
    """Use the canaries through the vault, collecting every error raised on the way."""
    log = logging.getLogger("agent.canary")

    def attempt(action: Callable[[], object]) -> None:
        try:
            action()
        except AgentError as exc:
            errors.append(exc)
            log.debug("failed as expected: %s (%s)", exc.message, exc.hint)
            log.exception("with traceback")

    vault = open_vault("memory")
    vault.set_current(API, Secret(CANARIES[0]), note="set on portal")
    vault.stage(API, Secret(CANARIES[1]), note="generated")
    attempt(lambda: vault.stage(API, Secret(CANARIES[2])))  # ConflictError
    vault.promote(API)
    vault.rollback(API)
    log.debug("info: %s, refs: %s, vault: %r", vault.info(API), vault.refs(), vault)
    log.debug("the secret itself, logged by mistake: %s / %r / %s", vault.get(API), vault.get(API), vault.require(API))
    attempt(lambda: vault.require(WEB))
    for canary in CANARIES:
        attempt(lambda canary=canary: check_password(canary))  # type: ignore[misc]
        attempt(lambda canary=canary: check_password(Secret(canary), for_rest=False))  # type: ignore[misc]
    generated = generate_password()
    log.debug("generated %s", generated)
    vault.delete(API)

    backend = Hostile()
    hostile = Vault(backend, backend_name="hostile", ephemeral=True, timeout=0.2)
    hostile.set_current(WEB, Secret(CANARIES[3]))
    hostile.stage(WEB, Secret(CANARIES[0]))
    for mode in ("refuse", "crash", "locked", "hang"):
        backend.mode = mode
        attempt(lambda: hostile.set_current(WEB, Secret(CANARIES[2])))
        attempt(lambda: hostile.promote(WEB))
        attempt(lambda: hostile.get(WEB))
    backend.mode = "ok"
    backend.released.set()
    backend.set_password(API.service, API.account, json.dumps({"format": "mpesa-agent/credential", "x": CANARIES[1]}))
    attempt(lambda: hostile.get(API))  # a damaged item that contains a secret
    backend.set_password(API.service, API.account, CANARIES[2])
    attempt(lambda: hostile.set_current(API, Secret(CANARIES[0])))  # not JSON at all: the raw value


def test_detector_sees_a_leak(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Control: the same capture and detector do find a value that is written without the filter."""
    unfiltered = logging.getLogger("agent.canary.unfiltered")
    handler = logging.FileHandler(tmp_path / "raw.log", encoding="utf-8")
    unfiltered.addHandler(handler)
    try:
        unfiltered.warning("oops %s", json.dumps({"p": CANARIES[1]}))
        print(urllib.parse.quote_plus(CANARIES[2]), file=sys.stderr)
    finally:
        unfiltered.removeHandler(handler)
        handler.close()
    assert leaks((tmp_path / "raw.log").read_text(encoding="utf-8"), CANARIES)
    assert leaks(capfd.readouterr().err, CANARIES)


def test_canaries_never_leak(capfd: pytest.CaptureFixture[str], debug_logging: Path) -> None:
    errors: list[BaseException] = []
    run_everything(errors)
    for handler in logging.getLogger().handlers:
        handler.flush()

    kinds = {type(e).__name__ for e in errors}
    assert {"ConflictError", "CredentialMissingError", "ValidationError", "KeyringError"} <= kinds
    assert "CorruptCredentialError" in kinds
    assert len(errors) >= 20

    captured = capfd.readouterr()
    log_text = debug_logging.read_text(encoding="utf-8")
    assert "vault: stored" in log_text  # debug logging really was on
    assert "failed as expected" in log_text
    assert leaks(captured.err, CANARIES) == []
    assert leaks(captured.out, CANARIES) == []
    assert leaks(log_text, CANARIES) == []
    for error in errors:
        assert isinstance(error, AgentError)
        text = "\n".join([str(error), error.message, error.hint or "", *traceback.format_exception(error)])
        assert leaks(text, CANARIES) == [], (type(error).__name__, error.message)


HELPER = """
import json, os, sys
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump({"env": dict(os.environ), "argv": sys.argv}, fh, ensure_ascii=False)
print("123456")
"""


def test_canaries_never_reach_a_helper_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SMS/captcha helper program sees none of the canaries, whatever names they were exported under."""
    from agent.portal.human import CommandInput

    for canary in CANARIES:
        Secret(canary)  # the agent knows them as secrets (as it does every value it read or generated)
    monkeypatch.setenv("MPESA_AGENT_ADMIN_PASSWORD", CANARIES[0])
    monkeypatch.setenv("HARMLESS_LOOKING", CANARIES[1])
    monkeypatch.setenv("LANG", CANARIES[2])
    monkeypatch.setenv("LC_ALL", CANARIES[3])
    monkeypatch.setenv("HOME", str(tmp_path))
    script, out = tmp_path / "helper.py", tmp_path / "seen.json"
    script.write_text(HELPER, encoding="utf-8")
    provider = CommandInput([sys.executable, str(script), str(out)], timeout_s=30)
    assert provider.otp("login", "07** *** 678").reveal() == "123456"
    seen = out.read_text(encoding="utf-8")
    assert '"MPESA_AGENT_WANT": "otp"' in seen  # the dump really is the helper's environment
    assert leaks(seen, CANARIES) == []
    with pytest.raises(AgentError) as caught:
        CommandInput([sys.executable, str(script), str(out), CANARIES[2]], timeout_s=30)
    assert leaks(str(caught.value) + (caught.value.hint or ""), CANARIES) == []


def test_canaries_never_reach_the_encrypted_store_in_plain(tmp_path: Path) -> None:
    """Documents too large for one keyring item go to files: those hold ciphertext only, whatever the encoding."""
    from agent.vault_store import SealedStore

    store_dir = tmp_path / "store"
    vault = Vault(MemoryKeyring(), backend_name="canary", ephemeral=False, timeout=5, store=SealedStore(store_dir))
    snap = CredentialRef("sites", "site-snapshot", "https://canary.example")
    big = json.dumps({"canaries": CANARIES, "padding": "p" * 3000})
    vault.set_current(snap, Secret(big))
    vault.stage(snap, Secret(big + CANARIES[3]))
    files = list(store_dir.glob("*.sealed"))
    assert files  # the large document really went to the store
    assert vault.get(snap) == Secret(big)
    for path in files:
        data = path.read_bytes()
        for encoding in ("utf-8", "latin-1"):
            assert leaks(data.decode(encoding, errors="replace"), CANARIES) == []
        assert leaks(data.decode("utf-16-le", errors="replace"), CANARIES) == []
