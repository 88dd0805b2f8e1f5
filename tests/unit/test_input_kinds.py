"""Input provider kinds: ``agent.portal`` does not import the sandbox; the sandbox kind comes in by ``extra_kinds``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent.errors import ExitStatus, UsageError
from agent.portal.human import CombinedInput, HumanInput, PromptInput, make_human, make_inputs

pytestmark = pytest.mark.unit


def test_the_portal_package_does_not_import_the_sandbox() -> None:
    code = (
        "import sys, agent.portal.human, agent.portal.flows, agent.portal.session\n"
        "from agent.portal.human import make_human\n"
        "try:\n"
        "    make_human('sandbox', portal_url='http://127.0.0.1:1')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
        "print(sorted(m for m in sys.modules if m.startswith('agent.sandbox')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.splitlines() == ["UsageError", "[]"]


def test_without_the_sandbox_kind_sandbox_is_a_clear_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        make_human("sandbox", portal_url="http://127.0.0.1:1")
    assert caught.value.exit_status == ExitStatus.USAGE
    assert "mpesa-agent demo" in (caught.value.hint or "")
    with pytest.raises(UsageError, match="Unknown input provider 'carrier-pigeon'"):
        make_human("carrier-pigeon", portal_url="https://org.ke.m-pesa.com")


def test_extra_kinds_build_the_provider() -> None:
    seen: list[str] = []

    def factory(url: str) -> HumanInput:
        seen.append(url)
        return PromptInput(lambda prompt, hidden: "1234", lambda text: None)

    human = make_inputs("prompt", "pigeon", portal_url="http://127.0.0.1:9", extra_kinds={"pigeon": factory})
    assert isinstance(human, CombinedInput)
    assert seen == ["http://127.0.0.1:9"]


def test_the_sandbox_kind_refuses_a_real_portal() -> None:
    from agent.sandbox.input import INPUT_KINDS

    with pytest.raises(UsageError, match="only works with the local sandbox portal"):
        make_human("sandbox", portal_url="https://org.ke.m-pesa.com", extra_kinds=INPUT_KINDS)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.3.2.1", True),
        ("http://localhost:8000/x", True),
        ("http://[::1]:9000", True),
        ("http://127.evil.example", False),
        ("http://127.0.0.1.evil.example", False),
        ("http://localhost.evil.example", False),
        ("http://10.0.0.1", False),
        ("http://[::1", False),
    ],
)
def test_is_loopback_url(url: str, loopback: bool) -> None:
    from agent.portal.human import is_loopback_url

    assert is_loopback_url(url) is loopback
