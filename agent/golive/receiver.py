"""A loopback ResultURL receiver: collects the results Daraja POSTs back, for the end-to-end initiator check.

Only for the sandbox's mock Daraja (real Daraja must reach a public HTTPS ResultURL; there the initiator check
stays ``unknown``, reference §3.6). It listens on 127.0.0.1 only, on a free port, from a daemon thread; every
request path gets a random unguessable prefix so another local program cannot inject a result. ``wait_for``
blocks on a condition (no polling) until the result of one conversation arrives, or the timeout passes.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from agent.golive.daraja import DarajaResult, parse_result

LOOPBACK = "127.0.0.1"
MAX_BODY = 64 * 1024
ACK = b'{"ResultCode":0,"ResultDesc":"Accepted"}'


class ResultReceiver:
    """Serves ``result_url`` and ``timeout_url``; ``wait_for(originator_conversation_id, timeout)`` returns a result."""

    def __init__(self) -> None:
        self._prefix = "/" + secrets.token_urlsafe(16)
        self._cond = threading.Condition()
        self._results: list[DarajaResult] = []
        self._timeouts: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if not self.path.startswith(receiver._prefix + "/") or length > MAX_BODY:
                    self.send_error(404)
                    return
                raw = self.rfile.read(length)
                try:
                    payload = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    self.send_error(400)
                    return
                receiver._accept(self.path[len(receiver._prefix) :], payload)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(ACK)))
                self.end_headers()
                self.wfile.write(ACK)

            def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr log
                return

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}{self._prefix}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="daraja-results", daemon=True
        )
        self._thread.start()
        self._stopped = False

    @property
    def result_url(self) -> str:
        return self.url + "/result"

    @property
    def timeout_url(self) -> str:
        return self.url + "/timeout"

    def _accept(self, path: str, payload: Any) -> None:
        with self._cond:
            if path.startswith("/timeout"):
                self._timeouts.append(payload if isinstance(payload, dict) else {"body": payload})
            else:
                try:
                    self._results.append(parse_result(payload))
                except ValueError:
                    return
            self._cond.notify_all()

    def results(self) -> list[DarajaResult]:
        with self._cond:
            return list(self._results)

    def wait_for(self, originator_conversation_id: str | None, timeout: float) -> DarajaResult | None:
        """The first result for this conversation (any result if None), or None after ``timeout`` seconds."""

        def found() -> DarajaResult | None:
            for result in self._results:
                if originator_conversation_id in (None, result.originator_conversation_id):
                    return result
            return None

        with self._cond:
            self._cond.wait_for(lambda: found() is not None, timeout=timeout)
            return found()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> ResultReceiver:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
