"""The step journal: what a workflow did to the outside world, so a re-run after a crash converges.

One JSON-lines file per job (e.g. ``setup-600000``) in the private state dir. Each line is an event for a step:
``intent`` (written *before* an irreversible action, e.g. a portal submit), ``done``, ``failed`` or ``note``, with
non-secret details. The journal never holds secrets: ``record`` refuses ``Secret`` values and secret-looking keys.
Every write is flushed and fsynced, so a SIGKILL loses at most the line being written (a torn last line is
ignored on read).

The journal is advisory: workflows always check the real state (portal, vault, site) before acting, and use the
journal to know what was in flight, to reconcile an ambiguous submit, and to report progress.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent import settings
from agent.errors import ConflictError
from agent.secret import SECRET_KEY_PATTERN, Secret

EVENTS = ("start", "intent", "done", "failed", "note", "finish")


def _check_detail(detail: dict[str, Any]) -> None:
    for key, value in detail.items():
        if isinstance(value, Secret) or SECRET_KEY_PATTERN.search(key):
            raise ValueError(f"journal details must not hold secrets (key {key!r})")
        if isinstance(value, dict):
            _check_detail(value)


class Journal:
    """The journal of one job (``name`` such as ``setup-600000``)."""

    def __init__(self, name: str, directory: Path | None = None) -> None:
        self.name = name
        self.directory = directory or settings.paths().journal_dir
        self.path = self.directory / f"{name}.jsonl"
        self.run_id = uuid.uuid4().hex[:12]

    # -- writing ---------------------------------------------------------------------------------------------
    def record(self, step: str, event: str, **detail: Any) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown journal event {event!r}")
        _check_detail(detail)
        self.directory.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            self.directory.chmod(0o700)
        line = json.dumps(
            {
                "ts": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "run": self.run_id,
                "step": step,
                "event": event,
                **({"detail": detail} if detail else {}),
            },
            sort_keys=True,
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def intent(self, step: str, **detail: Any) -> None:
        self.record(step, "intent", **detail)

    def done(self, step: str, **detail: Any) -> None:
        self.record(step, "done", **detail)

    def failed(self, step: str, **detail: Any) -> None:
        self.record(step, "failed", **detail)

    def archive(self) -> Path | None:
        """Close this job's journal (e.g. after ``--abandon`` or a finished rotation): it is kept, renamed."""
        if not self.path.exists():
            return None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.name}.{stamp}.done.jsonl")
        os.replace(self.path, target)
        return target

    # -- reading ---------------------------------------------------------------------------------------------
    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for raw in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(raw))
            except json.JSONDecodeError:
                continue  # a line torn by a crash
        return out

    def last(self, step: str) -> dict[str, Any] | None:
        found = None
        for entry in self.entries():
            if entry.get("step") == step:
                found = entry
        return found

    def state(self, step: str) -> str | None:
        """The last event of ``step`` (``intent``, ``done``, ``failed``...), or None if never recorded."""
        entry = self.last(step)
        return str(entry["event"]) if entry else None

    def is_done(self, step: str) -> bool:
        return self.state(step) == "done"

    def exists(self) -> bool:
        return self.path.exists() and bool(self.entries())

    def steps(self) -> dict[str, str]:
        """Each step's latest event, in first-seen order."""
        out: dict[str, str] = {}
        for entry in self.entries():
            out[str(entry.get("step"))] = str(entry.get("event"))
        return out

    # -- one job at a time -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Refuse to run the same job twice at once (a stale lock of a dead process is taken over)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        lock_path = self.directory / f"{self.name}.lock"
        for _ in range(2):
            try:
                fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                if _lock_is_stale(lock_path):
                    lock_path.unlink(missing_ok=True)
                    continue
                raise ConflictError(
                    f"Another mpesa-agent is already running '{self.name}'.",
                    hint=f"Wait for it to finish. If none is running, delete {lock_path}.",
                ) from None
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            break
        try:
            yield
        finally:
            lock_path.unlink(missing_ok=True)


def _lock_is_stale(path: Path) -> bool:
    try:
        pid = int(path.read_text().strip() or "0")
    except (OSError, ValueError):
        return True
    if pid <= 0 or pid == os.getpid():
        return True
    return not _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
            return True
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped) is not alive for our purpose.
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split()[2]
        return status != "Z"
    except (OSError, IndexError):
        return True


CRASH_ENV = "MPESA_AGENT_TEST_CRASH_AT"


def checkpoint(name: str) -> None:
    """A named point between two effects on the outside world (e.g. ``api-password:after-set``).

    Test hook: when ``MPESA_AGENT_TEST_CRASH_AT`` names this point, the process kills itself with SIGKILL right here,
    so the crash tests can stop the agent at every step boundary deterministically. Without the variable it does
    nothing.
    """
    wanted = os.environ.get(CRASH_ENV)
    if wanted and name in wanted.split(","):
        import signal

        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
