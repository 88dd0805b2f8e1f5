"""The runner: loopback, free port, stop/restart on the same state, blocking serve_forever; thread safety."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from agent.sandbox.portal.server import RunningSandbox, serve_forever, start_sandbox
from agent.sandbox.portal.state import PortalState

pytestmark = pytest.mark.unit


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_start_on_a_free_loopback_port_and_stop_frees_it() -> None:
    with start_sandbox() as portal:
        assert portal.url == f"http://127.0.0.1:{portal.port}"
        assert portal.port > 0
        assert portal.login_url.endswith("/orglogin.action")
        assert requests.get(portal.login_url, timeout=5).status_code == 200
        assert portal.control.ping()["sandbox"] is True
    assert not _port_open(portal.port)
    portal.stop()  # idempotent


def test_only_loopback_is_allowed() -> None:
    with pytest.raises(ValueError, match="loopback"):
        start_sandbox(host="0.0.0.0")


def test_portal_mode_serves_no_control_surface() -> None:
    with start_sandbox(mode="portal") as portal:
        assert requests.get(portal.url + "/__sim/ping", timeout=5).status_code == 404


def test_a_restart_on_the_same_state_keeps_operators_and_outbox() -> None:
    state = PortalState()
    with start_sandbox(state=state) as first:
        first.control.seed(replace=False, extras=["manager"])
        first.control.settings(fixed_otp="654321")
    with start_sandbox(state=state) as second:
        names = [o["username"] for o in second.control.state()["orgs"][0]["operators"]]
        assert names == ["sandboxadmin", "sandboxmgr"]
        assert second.control.settings()["fixed_otp"] == "654321"


def test_serve_forever_blocks_until_stopped_and_reports_readiness() -> None:
    ready: list[RunningSandbox] = []
    seen = threading.Event()

    def on_ready(portal: RunningSandbox) -> None:
        ready.append(portal)
        seen.set()

    thread = threading.Thread(target=serve_forever, kwargs={"on_ready": on_ready, "mode": "demo"})
    thread.start()
    assert seen.wait(10)
    portal = ready[0]
    assert portal.control.ping()["mode"] == "demo"
    assert thread.is_alive()
    portal.stop()
    thread.join(10)
    assert not thread.is_alive()


def test_concurrent_logins_and_control_calls_are_consistent(portal: RunningSandbox) -> None:
    portal.control.seed(
        replace=False,
        operators=[
            {"username": f"clerk{i}", "password": "Clerk#2030x", "msisdn": f"2547000000{i:02d}"} for i in range(8)
        ],
    )
    portal.control.settings(fixed_otp="111222")

    def login(index: int) -> int:
        http = requests.Session()
        http.get(portal.login_url, timeout=10)
        http.get(portal.url + "/verifycode.action", timeout=10)
        code = portal.control.captcha(http.cookies["JSESSIONID"])
        http.post(
            portal.login_url,
            data={
                "shortcode": "600000",
                "username": f"clerk{index}",
                "password": "Clerk#2030x",
                "verification_code": code,
            },
            timeout=10,
        )
        response = http.post(portal.url + "/otp.action", data={"otp": "111222", "action": "submit"}, timeout=10)
        portal.control.state()
        return response.status_code if response.url.endswith("/home.action") else -1

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(login, range(8)))
    assert results == [200] * 8
    otps = [m for m in portal.control.sms(kind="LOGIN_OTP")]
    assert len(otps) == 8
    assert len({m["id"] for m in otps}) == 8
