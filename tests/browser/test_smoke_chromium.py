"""Smoke: Playwright drives the detected Chromium against a page on loopback."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (
            b"<html><body><label for=n>Name</label><input id=n>"
            b"<button onclick='document.title=n.value'>Go</button></body></html>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_chromium_drives_a_loopback_page(page: Page) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        page.get_by_label("Name").fill("mpesa")
        page.get_by_role("button", name="Go").click()
        expect(page).to_have_title("mpesa")
    finally:
        server.shutdown()
