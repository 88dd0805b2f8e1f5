"""The per-profile write lock (agent.locks): writers serialise across processes and threads, a second writer that
cannot get it in time is refused with exit 8 naming the holder, stale locks (dead pid, reused pid) are taken over
without manual deletion, readers wait briefly and then read, and 10 concurrent pushes on one site never fail with a
vault error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agent import locks
from agent.context import Context
from agent.errors import AgentError, ConflictError, ExitStatus
from agent.secret import Secret
from agent.vault import CredentialRef, open_vault
from agent.workflows import sites
from tests.harness.wordpress import SandboxShopServer

pytestmark = pytest.mark.unit

HOLDER = """
import sys, time
from pathlib import Path
from agent.locks import profile_lock
out = Path(sys.argv[2])
with profile_lock(Path(sys.argv[1]), "600000", "push", wait_s=60):
    with out.open("a") as fh:
        fh.write("in\\n")
    time.sleep(0.05)
    with out.open("a") as fh:
        fh.write("out\\n")
"""


def test_writers_in_ten_processes_never_overlap(tmp_path: Path) -> None:
    out = tmp_path / "trace"
    procs = [subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "locks"), str(out)]) for _ in range(10)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 10
    assert out.read_text().split() == ["in", "out"] * 10
    assert not list((tmp_path / "locks").iterdir())  # released, nothing left behind


def test_a_second_writer_is_refused_with_exit_8_naming_the_holder(tmp_path: Path) -> None:
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with locks.profile_lock(tmp_path, "600000", "rotate"):
            taken.set()
            release.wait(30)

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert taken.wait(10)
        with pytest.raises(ConflictError) as info, locks.profile_lock(tmp_path, "600000", "push", wait_s=0.2):
            pass
        assert info.value.exit_status == ExitStatus.CONFLICT
        assert "'rotate'" in info.value.message
        assert str(os.getpid()) in info.value.message
        assert "nothing was changed" in info.value.message
        with locks.profile_lock(tmp_path, "700000", "push", wait_s=0.2):
            pass  # another profile is not blocked
    finally:
        release.set()
        worker.join()
    with locks.profile_lock(tmp_path, "600000", "push", wait_s=0.2):
        pass  # free again


def test_a_waiting_writer_gets_the_lock_when_the_first_finishes(tmp_path: Path) -> None:
    order: list[str] = []
    taken = threading.Event()

    def hold() -> None:
        with locks.profile_lock(tmp_path, "600000", "push"):
            taken.set()
            threading.Event().wait(0.3)
            order.append("first done")

    worker = threading.Thread(target=hold)
    worker.start()
    assert taken.wait(10)
    with locks.profile_lock(tmp_path, "600000", "push", wait_s=10):
        order.append("second in")
    worker.join()
    assert order == ["first done", "second in"]


def test_the_lock_is_reentrant_in_one_thread(tmp_path: Path) -> None:
    with (
        locks.profile_lock(tmp_path, "600000", "rotate", wait_s=0.1),
        locks.profile_lock(tmp_path, "600000", "push", wait_s=0.1),
    ):
        assert locks.read_holder(locks.lock_path(tmp_path, "600000")) is not None
    assert not locks.lock_path(tmp_path, "600000").exists()


def _write_lock(path: Path, pid: int, started: str | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"pid": pid, "started": started, "host": os.uname().nodename, "command": "push", "since": "then"}
    path.write_text(json.dumps(record))


def test_a_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    _write_lock(locks.lock_path(tmp_path, "600000"), pid, "1")
    assert locks.is_stale(locks.lock_path(tmp_path, "600000"))
    with locks.profile_lock(tmp_path, "600000", "push", wait_s=0.5):
        holder = locks.read_holder(locks.lock_path(tmp_path, "600000"))
        assert holder is not None
        assert holder.pid == os.getpid()


def test_a_reused_pid_is_told_apart_by_its_start_time(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        path = locks.lock_path(tmp_path, "600000")
        real = locks.process_start_time(sleeper.pid)
        assert real is not None
        _write_lock(path, sleeper.pid, real)
        assert not locks.is_stale(path)  # alive, same process: held
        with pytest.raises(ConflictError), locks.profile_lock(tmp_path, "600000", "push", wait_s=0.1):
            pass
        _write_lock(path, sleeper.pid, str(int(real) + 1))  # same pid, another process (pid reused)
        assert locks.is_stale(path)
        with locks.profile_lock(tmp_path, "600000", "push", wait_s=0.5):
            pass
    finally:
        sleeper.communicate(b"", timeout=10)


def test_an_empty_lock_file_is_stale_only_once_old(tmp_path: Path) -> None:
    path = locks.lock_path(tmp_path, "600000")
    path.write_text("")
    assert not locks.is_stale(path)  # a writer between create and write
    old = time.time() - 60
    os.utime(path, (old, old))
    assert locks.is_stale(path)
    with locks.profile_lock(tmp_path, "600000", "push", wait_s=0.5):
        pass


def test_a_reader_waits_briefly_then_reads(tmp_path: Path) -> None:
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with locks.profile_lock(tmp_path, "600000", "push"):
            taken.set()
            release.wait(30)

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert taken.wait(10)
        began = time.monotonic()
        with locks.profile_lock(tmp_path, "600000", "status", shared=True, wait_s=0.3):
            waited = time.monotonic() - began
        assert 0.25 <= waited < 5  # waited for the writer, then read anyway (no error)
    finally:
        release.set()
        worker.join()


OPERATOR = "mamaapi"


def test_ten_concurrent_pushes_on_one_site_serialise_or_refuse_with_exit_8(agent_home: Path) -> None:
    vault = open_vault("memory")
    ctx = Context.build(vault=vault)
    ctx.config.set_default_profile("600000")
    ctx.config.set_profile("600000", {"short_code": "600000", "api_operator": {"username": OPERATOR}})
    ctx.config.save()
    vault.set_current(CredentialRef("600000", "api-operator", OPERATOR), Secret("Kx7#mQ2$vL9%"))
    shop = SandboxShopServer()
    try:
        sites.link_site(ctx, shop.url, "shopadmin", Secret(shop.app_password()))
        ctx = Context.build(vault=vault)

        def one(_: int) -> str:
            try:
                report = sites.push(ctx)
            except AgentError as exc:
                return f"{int(exc.exit_status)}:{type(exc).__name__}:{exc.message}"
            return "ok" if report.sites[0].ok else f"failed:{report.sites[0].problem}"

        with ThreadPoolExecutor(max_workers=10) as pool:
            outcomes = list(pool.map(one, range(10)))
        assert all(o == "ok" or o.startswith("8:ConflictError") for o in outcomes), outcomes
        assert "ok" in outcomes
        stored = shop.sim("GET", "gateway/mpesa")["values"]
        assert (stored["initiator"], stored["password"]) == (OPERATOR, "Kx7#mQ2$vL9%")
        assert vault.get(sites.snapshot_ref(shop.url)) is not None
        assert not list((agent_home / "state" / "locks").glob("*.lock"))
    finally:
        shop.stop()


def test_a_push_is_refused_while_a_rotation_is_in_flight(agent_home: Path) -> None:
    vault = open_vault("memory")
    ctx = Context.build(vault=vault)
    ctx.config.set_default_profile("600000")
    ctx.config.set_profile("600000", {"short_code": "600000", "api_operator": {"username": OPERATOR}})
    ctx.config.save()
    vault.set_current(CredentialRef("600000", "api-operator", OPERATOR), Secret("Kx7#mQ2$vL9%"))
    shop = SandboxShopServer()
    try:
        sites.link_site(ctx, shop.url, "shopadmin", Secret(shop.app_password()))
        ctx = Context.build(vault=vault)
        journal = ctx.journal("rotate-600000")
        journal.record("rotate", "start", operator="api", username=OPERATOR, strategy="single")
        before = shop.sim("GET", "gateway/mpesa")["values"]["initiator"]
        with pytest.raises(ConflictError) as info:
            sites.push(ctx)
        assert info.value.exit_status == ExitStatus.CONFLICT
        assert "is in flight" in info.value.message
        assert "rotate --resume" in (info.value.hint or "")
        assert shop.sim("GET", "gateway/mpesa")["values"]["initiator"] == before != OPERATOR
        assert sites.push(ctx, dry_run=True).sites[0].ok  # a dry run only reads
        journal.record("rotate", "finish")
        assert sites.push(ctx).sites[0].ok
    finally:
        shop.stop()
