"""Questions read from the controlling terminal (``agent.tty``), so that ``--admin-password-stdin`` works with the
prompt providers: standard input feeds the password, the captcha and SMS code are typed at the terminal.

Driven through pseudo-terminals: in-process (``tty_ask`` given the pty's path) and in a child process whose
controlling terminal is the pty and whose standard input is a pipe, as in ``echo PW | mpesa-agent setup
--admin-password-stdin``.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from agent.errors import ExitStatus, NeedsHumanError

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX"),
]

if sys.platform != "win32":
    from agent.tty import has_terminal, tty_ask


class Pty:
    """A pseudo-terminal: ``read_until`` what the program wrote, ``type`` what the person types."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.seen = b""

    def read_until(self, text: bytes, timeout_s: float = 20) -> bytes:
        deadline = time.monotonic() + timeout_s
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} never appeared; the terminal shows {self.seen!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:  # the other side closed
                    break
        return self.seen

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def drain(self) -> bytes:
        while select.select([self.master], [], [], 0.2)[0]:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.seen += chunk
        return self.seen

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def term() -> Iterator[Pty]:
    pty = Pty()
    yield pty
    pty.close()


def ask_in_thread(prompt: str, hidden: bool, path: str) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["answer"] = tty_ask(prompt, hidden, path=path)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_a_visible_answer_is_echoed_and_returned(term: Pty) -> None:
    thread, result = ask_in_thread("Verification code (4 digits)", False, term.path)
    term.read_until(b"Verification code (4 digits): ")
    term.type("4092\n")
    thread.join(20)
    assert result == {"answer": "4092"}
    assert b"4092" in term.drain()  # the terminal echoed it


def test_a_hidden_answer_is_not_echoed(term: Pty) -> None:
    thread, result = ask_in_thread("Temporary password", True, term.path)
    term.read_until(b"Temporary password: ")  # echo is off before the prompt shows
    term.type("Tmp#Pass99\n")
    thread.join(20)
    assert result == {"answer": "Tmp#Pass99"}
    assert b"Tmp#Pass99" not in term.drain()
    # ... and echo is back on afterwards
    thread, result = ask_in_thread("Code", False, term.path)
    term.read_until(b"Code: ")
    term.type("visible1\n")
    thread.join(20)
    assert b"visible1" in term.drain()


def test_ctrl_d_is_eof(term: Pty) -> None:
    thread, result = ask_in_thread("Code", False, term.path)
    term.read_until(b"Code: ")
    term.type("\x04")
    thread.join(20)
    assert isinstance(result.get("error"), EOFError)


def test_no_terminal_is_exit_3(tmp_path: object) -> None:
    with pytest.raises(NeedsHumanError) as caught:
        tty_ask("Code", False, path="/nonexistent/tty", what="the verification code")
    assert caught.value.exit_status == ExitStatus.NEEDS_HUMAN
    assert "no terminal to ask on (the verification code)" in caught.value.message
    assert "--codes-from command" in (caught.value.hint or "")
    assert has_terminal("/nonexistent/tty") is False


CHILD = r"""
import os, sys
if sys.argv[1] != "-":
    fd = os.open(sys.argv[1], os.O_RDWR)  # a session leader opening a terminal: it becomes the controlling one
    os.close(fd)
password = sys.stdin.readline().rstrip("\n")  # what --admin-password-stdin does
from agent.errors import AgentError
from agent.portal.human import PromptInput, default_ask, default_say
human = PromptInput(default_ask, default_say)
try:
    code = human.otp("administrator login", "2547****678").reveal()
except AgentError as exc:
    print(f"{type(exc).__name__} {int(exc.exit_status)} {exc.message}", flush=True)
    sys.exit(0)
print(f"password={password} otp={code}", flush=True)
"""


def run_child(tty_path: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "MPESA_AGENT_ADMIN_PASSWORD"}
    stderr = subprocess.DEVNULL if tty_path == "-" else os.open(tty_path, os.O_WRONLY | os.O_NOCTTY)
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, tty_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,  # no controlling terminal until the child opens the pty
            env=env,
        )
    finally:
        if isinstance(stderr, int) and stderr >= 0:
            os.close(stderr)
    assert child.stdin is not None
    child.stdin.write("Admin#Pass123\n")
    child.stdin.close()
    return child


def output(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    try:
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    return child.stdout.read()


def test_with_the_password_on_stdin_the_prompts_come_from_the_terminal(term: Pty) -> None:
    child = run_child(term.path)
    term.read_until(b"SMS code (6 digits): ")
    assert b"The portal sent an SMS code to 2547****678" in term.seen
    term.type("12345\n")  # wrong shape: asked again on the terminal, with the reason
    term.read_until(b"has 6 digits; that was 5")
    term.type("123456\n")
    out = output(child)
    assert out.strip() == "password=Admin#Pass123 otp=123456"
    assert b"Admin#Pass123" not in term.drain()


def test_with_no_terminal_at_all_the_prompt_is_exit_3() -> None:
    child = run_child("-")
    out = output(child)
    assert out.startswith("NeedsHumanError 3 There is no terminal to ask on ('SMS code (6 digits)')"), out
