"""One lock per profile for every command that writes the vault or a site (setup, rotate, push, link-site,
unlink-site, rollback), and a brief wait for readers while a writer is at work.

What belongs here: the lock file, its stale-lock rule, and waiting for it. Workflows take it through
``ctx.lock(profile, command)``; nothing here knows what a command does.

How it works:

* The lock is a file ``<state>/locks/<profile>.lock`` created with ``O_CREAT | O_EXCL`` (atomic on every OS and
  file system we support; no third-party package: ``filelock`` is not a dependency, and an OS advisory lock would
  not tell the second command *who* holds it). It holds JSON: pid, the process's start time, host, command, since.
* **Stale rule, no manual deletion**: a lock is stale when its process is gone, or when a live process with that pid
  started at another time than recorded (the pid was reused after a crash), or when the file is unreadable/empty
  and older than a few seconds (a writer killed between create and write). A stale lock is removed under a
  short-lived ``.takeover`` guard file (the rule re-checked there), so two commands cannot both take it over. The
  start time comes from ``/proc/<pid>/stat`` where there is one (Linux); elsewhere the rule is "the pid is alive".
* **A second writer waits briefly** (``WRITER_WAIT_S``, polling the file with a deadline) for the first to finish,
  then gives up with ``ConflictError`` (exit 8) naming the command that holds the lock and what to run. So
  overlapping pushes serialise when they are short, and refuse cleanly when one is long (a rotation waiting for an
  SMS code). No command ever runs half-way into another one's writes.
* **Readers** (``shared=True``) wait up to ``READER_WAIT_S`` for a writer to finish, then read anyway: a status
  read never fails because of a lock, and never reads an item a writer is half-way through when the writer is quick.
* The lock is re-entrant in one thread (``rotate`` may push; ``rollback`` may restore a push), and threads of one
  process contend for it like processes do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from agent.errors import ConflictError

WRITER_WAIT_S: Final = 15.0
READER_WAIT_S: Final = 5.0
POLL_S: Final = 0.05
UNWRITTEN_GRACE_S: Final = 5.0  # an empty lock file younger than this is a writer between create and write
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")

_owners: dict[str, tuple[int, int]] = {}  # lock path -> (thread id, depth), for re-entrance
_thread_locks: dict[str, threading.Lock] = {}  # lock path -> the in-process lock threads take before the file
_held_guard = threading.Lock()


@dataclasses.dataclass(frozen=True)
class Holder:
    """Who holds a lock, as written in its file."""

    pid: int
    started: str | None
    host: str
    command: str
    since: str

    def describe(self) -> str:
        return f"'{self.command}' (process {self.pid}, since {self.since})"


def process_start_time(pid: int) -> str | None:
    """An identifier of when process ``pid`` started (clock ticks since boot, from /proc), None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None  # field 22 of stat; the first two (pid, comm) are cut


def pid_alive(pid: int) -> bool:
    """True when process ``pid`` exists and is not a zombie."""
    if pid <= 0:
        return False
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
    except OverflowError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat[stat.rfind(")") + 2 :].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def lock_path(lock_dir: Path, name: str) -> Path:
    safe = _SAFE_NAME.sub("_", name)[:80] or "default"
    return lock_dir / f"{safe}.lock"


def read_holder(path: Path) -> Holder | None:
    """The holder written in ``path``; None when there is no file or it is not (yet) readable."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return Holder(
            int(data["pid"]),
            data.get("started"),
            str(data.get("host", "")),
            str(data.get("command", "?")),
            str(data.get("since", "?")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_stale(path: Path, *, taking: bool = False) -> bool:
    """The stale-lock rule (see the module docstring). ``taking``: the caller holds this process's in-process lock
    for ``path`` (so a file with our own pid is a leftover, not another thread's)."""
    holder = read_holder(path)
    if holder is None:
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            return False  # gone already: not stale, simply free
        return age > UNWRITTEN_GRACE_S
    if holder.host and holder.host != socket.gethostname():
        return False  # a lock of another computer (a shared home): never guessed about
    if holder.pid == os.getpid():
        return taking or not _thread_lock(path).locked()
    if not pid_alive(holder.pid):
        return True
    now_started = process_start_time(holder.pid)
    return holder.started is not None and now_started is not None and now_started != holder.started


def _thread_lock(path: Path) -> threading.Lock:
    with _held_guard:
        return _thread_locks.setdefault(str(path), threading.Lock())


def _record(command: str) -> str:
    return json.dumps(
        {
            "pid": os.getpid(),
            "started": process_start_time(os.getpid()),
            "host": socket.gethostname(),
            "command": command,
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )


def _try_take(path: Path, command: str) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if is_stale(path, taking=True):
            _clear_stale(path)
        return False  # the caller tries again (at once after a clear, else after a pause)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(_record(command))
    return True


def _clear_stale(path: Path) -> None:
    """Remove a stale lock, one command at a time: under a short-lived ``.takeover`` file (itself cleared when
    older than a few seconds), re-check that the lock is still stale, then delete it."""
    guard = path.with_name(path.name + ".takeover")
    try:
        fd = os.open(guard, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with contextlib.suppress(OSError):
            if time.time() - guard.stat().st_mtime > UNWRITTEN_GRACE_S:
                guard.unlink()
        return
    try:
        os.close(fd)
        if is_stale(path, taking=True):
            path.unlink(missing_ok=True)
    finally:
        guard.unlink(missing_ok=True)


def _wait(deadline: float) -> bool:
    """Pause one poll interval (False when the deadline has passed)."""
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    threading.Event().wait(min(POLL_S, left))
    return True


@contextlib.contextmanager
def profile_lock(
    lock_dir: Path, name: str, command: str, *, shared: bool = False, wait_s: float | None = None
) -> Iterator[None]:
    """Hold the lock ``name`` (a profile's short code) while ``command`` writes; ``shared`` only waits for it.

    A writer that cannot get it within ``wait_s`` (default ``WRITER_WAIT_S``) raises ConflictError (exit 8)."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_path(lock_dir, name)
    me = threading.get_ident()
    with _held_guard:
        owner = _owners.get(str(path))
        if owner is not None and owner[0] == me:
            _owners[str(path)] = (me, owner[1] + 1)
    if owner is not None and owner[0] == me:  # re-entered (rotate -> push): already ours
        try:
            yield
        finally:
            with _held_guard:
                _owners[str(path)] = (me, _owners[str(path)][1] - 1)
        return
    if shared:
        deadline = time.monotonic() + (READER_WAIT_S if wait_s is None else wait_s)
        while path.exists() and not is_stale(path) and _wait(deadline):
            pass
        yield
        return
    deadline = time.monotonic() + (WRITER_WAIT_S if wait_s is None else wait_s)
    in_process = _thread_lock(path)
    if not in_process.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
        raise _busy(path, name, command)
    try:
        while not _try_take(path, command):
            if not path.exists():
                continue  # a stale lock was just cleared
            if not _wait(deadline):
                raise _busy(path, name, command)
        with _held_guard:
            _owners[str(path)] = (me, 1)
        try:
            yield
        finally:
            with _held_guard:
                _owners.pop(str(path), None)
            path.unlink(missing_ok=True)
    finally:
        in_process.release()


def _busy(path: Path, name: str, command: str) -> ConflictError:
    holder = read_holder(path)
    who = holder.describe() if holder else "another mpesa-agent command"
    return ConflictError(
        f"Another mpesa-agent command is changing profile {name}: {who}. '{command}' did not start, "
        "so nothing was changed.",
        hint=f"Wait for it to finish, then run '{command}' again. If that process has ended, the lock is "
        "cleared automatically on the next run.",
    )
