"""Run the rotation workflow as a separate process, the way ``mpesa-agent rotate`` will (the crash tests kill it).

    python -m tests.rotation.run_rotate [--operator api|web] [--strategy single|alternating] [--resume] [--abandon]
                                        [--if-older-than 60d] [--site-credentials]

It uses the real keyring vault (the private D-Bus session the tests started, inherited through the environment),
the user state in ``MPESA_AGENT_HOME`` and the sandbox portal named by ``portal_url`` in that config; captchas and
SMS codes come from the sandbox's control surface. It prints the result (or the error) as one JSON line on stdout
and exits with the documented exit status. ``MPESA_AGENT_TEST_CRASH_AT`` names the checkpoint(s) to die at.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from agent import settings
from agent.errors import AgentError
from agent.sandbox.input import SandboxInput
from agent.vault import open_vault
from agent.workflows.rotate import RotateRequest, run_rotation


class StderrReporter:
    """Progress lines on stderr, with the seconds since the process started (the tests show them on failure)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def _say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.2f}] {text}", file=sys.stderr, flush=True)

    def start(self, key: str, title: str) -> None:
        self._say(f"-> {key}: {title}")

    def finish(self, key: str, status: str, detail: str = "") -> None:
        self._say(f"   {key}: {status} {detail}")

    def info(self, text: str) -> None:
        self._say(f"   i {text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_rotate")
    parser.add_argument("--operator", choices=["api", "web"])
    parser.add_argument("--strategy", choices=["single", "alternating"])
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--abandon", action="store_true")
    parser.add_argument("--if-older-than")
    parser.add_argument("--site-credentials", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    request = RotateRequest(
        operator=args.operator,
        strategy=args.strategy,
        resume=args.resume,
        abandon=args.abandon,
        if_older_than=args.if_older_than,
        site_credentials=args.site_credentials,
    )
    try:
        portal_url = str(settings.load_config().settings["portal_url"])
        human = SandboxInput(portal_url, wait_s=10)
        result = run_rotation(request, human=human, vault=open_vault(), reporter=StderrReporter())
    except AgentError as exc:
        print(json.dumps({"error": type(exc).__name__, "message": exc.message, "hint": exc.hint}), flush=True)
        return int(exc.exit_status)
    print(json.dumps(result.as_dict()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
