"""A private D-Bus session bus with an unlocked gnome-keyring, for the Secret Service tier.

It never touches the developer's keyring: the bus is new, and gnome-keyring keeps its files in a fresh
XDG_DATA_HOME inside a temp dir. ``stop()`` kills the bus (gnome-keyring exits with it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path


class ComponentMissing(RuntimeError):
    """A real component the tests need is not installed or cannot start."""


class PrivateSecretService:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mpesa-keyring-"))
        self.bus_pid: int | None = None
        self.env: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        for tool in ("dbus-daemon", "gnome-keyring-daemon"):
            if shutil.which(tool) is None:
                raise ComponentMissing(f"{tool} is not installed (apt-get install dbus gnome-keyring)")
        data_home = self.dir / "xdg-data"
        data_home.mkdir()
        runtime = self.dir / "runtime"
        runtime.mkdir(mode=0o700)
        out = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout.split()
        address, pid = out[0], int(out[1])
        self.bus_pid = pid
        env = {
            "DBUS_SESSION_BUS_ADDRESS": address,
            "XDG_DATA_HOME": str(data_home),
            "XDG_RUNTIME_DIR": str(runtime),
        }
        proc_env = {**os.environ, **env}
        keyring_out = subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
            input="mpesa-agent-tests\n",
            capture_output=True,
            text=True,
            timeout=20,
            env=proc_env,
            check=True,
        ).stdout
        for line in keyring_out.splitlines():  # it prints GNOME_KEYRING_CONTROL=... unless it used XDG_RUNTIME_DIR
            if "=" in line:
                key, value = line.split("=", 1)
                env[key.strip()] = value.strip()
        self.env = env
        return env

    def stop(self) -> None:
        address = self.env.get("DBUS_SESSION_BUS_ADDRESS")
        if address:
            _kill_processes_on_bus(address)
        if self.bus_pid:
            try:
                os.kill(self.bus_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.bus_pid = None
        shutil.rmtree(self.dir, ignore_errors=True)


def _kill_processes_on_bus(address: str) -> None:
    """gnome-keyring-daemon daemonises and outlives its bus: end every process started with our bus address."""
    needle = f"DBUS_SESSION_BUS_ADDRESS={address}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            try:
                os.kill(int(proc.name), signal.SIGTERM)
            except ProcessLookupError:
                pass
