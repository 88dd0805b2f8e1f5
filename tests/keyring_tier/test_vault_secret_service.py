"""agent.vault on a real Secret Service (gnome-keyring on a private D-Bus session), and its failure modes.

The failure modes run ``open_vault`` in a subprocess with its own environment (the keyring backend is chosen once
per process): a locked collection (a second private gnome-keyring whose collection we lock), no D-Bus session at
all, a bus address where nothing listens, and a "bus" that accepts the connection but never answers.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.secret import Secret
from agent.vault import INDEX_ACCOUNT, INDEX_SERVICE, CredentialMissingError, CredentialRef, open_vault
from tests.harness.secret_service import PrivateSecretService

pytestmark = pytest.mark.keyring


@pytest.fixture
def profile() -> str:
    """A profile name of this test's own, so tests sharing the session keyring never see each other's items."""
    return "t" + uuid.uuid4().hex[:10]


def _secret_service_items(service: str, account: str) -> list[dict[str, str]]:
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(connection)
        return [
            {"label": item.get_label(), "secret": item.get_secret().decode(), **item.get_attributes()}
            for item in collection.search_items({"service": service, "username": account})
        ]
    finally:
        connection.close()


def test_versions_on_the_secret_service(secret_service: dict[str, str], profile: str) -> None:
    vault = open_vault("keyring")
    assert vault.backend_name == "Secret Service (keyring)"
    assert not vault.ephemeral
    api = CredentialRef(profile, "api-operator", "mamaapi")
    web = CredentialRef(profile, "web-operator", "mamaweb")

    vault.set_current(api, Secret("First#Pass1"), note="set on portal")
    vault.stage(api, Secret("Second#Pass2"), note="generated")
    assert vault.require(api).reveal() == "First#Pass1"
    assert vault.require(api, "pending").reveal() == "Second#Pass2"
    vault.promote(api)
    assert vault.require(api).reveal() == "Second#Pass2"
    assert vault.require(api, "previous").reveal() == "First#Pass1"
    vault.rollback(api)
    assert vault.require(api).reveal() == "First#Pass1"
    assert {label: i.note for label, i in vault.info(api).items()} == {
        "current": "set on portal",
        "previous": "generated",
    }
    vault.set_current(web, Secret("Web#Pass1"))
    assert vault.refs(profile) == [web, api]

    # One item per credential, at the documented coordinates, holding the JSON document.
    items = _secret_service_items(f"mpesa-agent/{profile}", "api-operator:mamaapi")
    assert len(items) == 1
    doc = json.loads(items[0]["secret"])
    assert doc["format"] == "mpesa-agent/credential"
    assert doc["versions"]["current"]["value"] == "First#Pass1"
    assert doc["versions"]["previous"]["value"] == "Second#Pass2"
    index = json.loads(_secret_service_items(INDEX_SERVICE, INDEX_ACCOUNT)[0]["secret"])
    assert [profile, "api-operator", "mamaapi"] in index["refs"]

    vault.delete(api)
    assert vault.get(api) is None
    assert _secret_service_items(f"mpesa-agent/{profile}", "api-operator:mamaapi") == []
    assert vault.refs(profile) == [web]
    with pytest.raises(CredentialMissingError):
        vault.require(api)
    vault.delete(web)
    assert vault.refs(profile) == []


def test_secret_tool_finds_the_item(secret_service: dict[str, str], profile: str) -> None:
    """The hint in corrupt-item errors tells people to use secret-tool: check that command really finds it."""
    if shutil.which("secret-tool") is None:
        pytest.skip("secret-tool (libsecret-tools) is not installed")
    vault = open_vault("keyring")
    ref = CredentialRef(profile, "admin", "boss")
    vault.set_current(ref, Secret("Boss#Pass1"))
    try:
        out = subprocess.run(
            ["secret-tool", "lookup", "service", ref.service, "username", ref.account],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
        assert json.loads(out)["versions"]["current"]["value"] == "Boss#Pass1"
    finally:
        vault.delete(ref)


def test_values_outlive_the_process(secret_service: dict[str, str], profile: str, tmp_path: Path) -> None:
    vault = open_vault("keyring")
    ref = CredentialRef(profile, "api-operator", "persist")
    vault.set_current(ref, Secret("Persist#Pass1"))
    try:
        result = _run_vault_script(
            {**os.environ},
            f"""
            ref = CredentialRef({profile!r}, "api-operator", "persist")
            value = open_vault("keyring").require(ref)
            print(json.dumps({{"ok": value == Secret("Persist#Pass1")}}))
            """,
        )
        assert result == {"ok": True}
    finally:
        vault.delete(ref)


def test_damaged_item_on_the_secret_service(secret_service: dict[str, str], profile: str) -> None:
    import keyring

    from agent.vault import CorruptCredentialError

    ref = CredentialRef(profile, "web-operator", "broken")
    keyring.get_keyring().set_password(ref.service, ref.account, "{not json")
    vault = open_vault("keyring")
    with pytest.raises(CorruptCredentialError, match=f"service mpesa-agent/{profile}, account web-operator:broken"):
        vault.set_current(ref, Secret("New#Pass1"))
    assert keyring.get_keyring().get_password(ref.service, ref.account) == "{not json"
    vault.delete(ref)
    assert keyring.get_keyring().get_password(ref.service, ref.account) is None


# --- Failure modes, each in a subprocess with its own environment ---------------------------------------------------

SCRIPT_HEAD = """
import json, sys, time
from agent.errors import AgentError
from agent.secret import Secret
from agent.vault import CredentialRef, open_vault
"""

PROBE = """
started = time.monotonic()
try:
    vault = open_vault("keyring")
    vault.get(CredentialRef("600000", "api-operator", "mamaapi"))
except AgentError as exc:
    print(json.dumps({"error": type(exc).__name__, "exit": int(exc.exit_status), "message": exc.message,
                      "hint": exc.hint, "seconds": time.monotonic() - started}))
else:
    print(json.dumps({"error": None, "backend": vault.backend_name}))
"""


def _isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No path to any real bus or keyring configuration: only what the test gives."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_RUNTIME_DIR": str(tmp_path / "runtime"),
        "MPESA_AGENT_HOME": str(tmp_path / "agent-home"),
        "MPESA_AGENT_KEYRING_TIMEOUT": "2",
    }
    env.update(extra)
    return env


def _run_vault_script(env: dict[str, str], body: str, timeout: float = 60) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT_HEAD + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_no_dbus_session(tmp_path: Path) -> None:
    result = _run_vault_script(_isolated_env(tmp_path), PROBE)
    assert result["error"] == "KeyringError"
    assert result["exit"] == 4
    assert "no D-Bus session bus" in str(result["message"])
    assert "dbus-run-session -- bash" in str(result["hint"])
    assert float(str(result["seconds"])) < 5


def test_bus_address_pointing_nowhere(tmp_path: Path) -> None:
    env = _isolated_env(tmp_path, DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-such-bus")
    result = _run_vault_script(env, PROBE)
    assert result["error"] == "KeyringError"
    assert result["exit"] == 4
    assert "No OS keyring is available (the Secret Service on the D-Bus session bus unix:path=" in str(
        result["message"]
    )
    assert "did not answer: FileNotFoundError" in str(result["message"])
    assert "gnome-keyring-daemon --unlock --components=secrets" in str(result["hint"])
    assert float(str(result["seconds"])) < 5


@pytest.fixture
def silent_bus(tmp_path: Path) -> Iterator[str]:
    """A unix socket that takes connections but never says a word: a D-Bus that hangs."""
    path = tmp_path / "silent-bus"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    try:
        yield f"unix:path={path}"
    finally:
        server.close()


def test_a_bus_that_never_answers_times_out(tmp_path: Path, silent_bus: str) -> None:
    env = _isolated_env(tmp_path, DBUS_SESSION_BUS_ADDRESS=silent_bus, MPESA_AGENT_KEYRING_TIMEOUT="1")
    started = time.monotonic()
    result = _run_vault_script(env, PROBE, timeout=30)
    assert time.monotonic() - started < 10  # the process did not hang, not even at exit
    assert result["error"] == "KeyringError"
    assert "did not answer within 1 s" in str(result["message"])
    assert "MPESA_AGENT_KEYRING_TIMEOUT" in str(result["hint"])


@pytest.fixture
def locked_secret_service(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A second private gnome-keyring whose default collection is locked (the shared one stays unlocked)."""
    from tests.conftest import component_unavailable

    service = PrivateSecretService()
    try:
        env = service.start()
    except Exception as exc:
        service.stop()
        component_unavailable("A second private gnome-keyring", str(exc))
        raise
    try:
        full_env = _isolated_env(tmp_path, **env)
        locked = _run_vault_script(
            full_env,
            """
            import secretstorage
            connection = secretstorage.dbus_init()
            collection = secretstorage.get_default_collection(connection)
            collection.lock()
            print(json.dumps({"locked": collection.is_locked()}))
            """,
        )
        assert locked == {"locked": True}
        yield full_env
    finally:
        service.stop()


def test_locked_keyring(locked_secret_service: dict[str, str]) -> None:
    env = {**locked_secret_service, "MPESA_AGENT_KEYRING_TIMEOUT": "5"}
    result = _run_vault_script(env, PROBE)
    assert result["error"] == "KeyringError", result
    assert result["exit"] == 4
    assert "is locked" in str(result["message"]), result
    assert "gnome-keyring-daemon --replace --unlock --components=secrets" in str(result["hint"])
    assert float(str(result["seconds"])) < 5


def test_a_large_snapshot_on_the_secret_service_stays_within_the_windows_budget(
    secret_service: dict[str, str], agent_home: Path
) -> None:
    """The rollback snapshot (~2.4k characters, three versions) on the real keyring: the item holds only a small
    pointer with the key, the document is ciphertext in the data directory, and a new process reads it back."""
    from agent.vault_store import ITEM_BUDGET_BYTES, is_pointer, item_size

    ref = CredentialRef("sites", "site-snapshot", f"https://{uuid.uuid4().hex[:8]}.shop.example")
    values = [Secret(json.dumps({"mpesa": "x" * 2400, "tag": tag})) for tag in ("a", "b", "c")]
    vault = open_vault("keyring")
    vault.set_current(ref, values[0])
    vault.set_current(ref, values[1])
    vault.stage(ref, values[2])
    (item,) = _secret_service_items(ref.service, ref.account)
    assert is_pointer(item["secret"])
    assert item_size(item["secret"]) <= ITEM_BUDGET_BYTES
    files = list((agent_home / "data" / "vault").glob("*.sealed"))
    assert len(files) == 1
    assert b"xxxxxxxx" not in files[0].read_bytes()
    code = textwrap.dedent(
        f"""
        from agent.vault import CredentialRef, open_vault
        ref = CredentialRef("sites", "site-snapshot", {ref.name!r})
        vault = open_vault("keyring")
        print(len(vault.require(ref).reveal()), len(vault.require(ref, "previous").reveal()))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == [str(len(values[1].reveal())), str(len(values[0].reveal()))]
    vault.delete(ref)
    assert _secret_service_items(ref.service, ref.account) == []
    assert not list((agent_home / "data" / "vault").glob("*.sealed"))
