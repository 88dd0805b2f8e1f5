"""The /__sim/ control surface and every fault knob, over real HTTP (requests) and the Flask test client."""

from __future__ import annotations

import http.client
import threading
import time
from typing import Any

import pytest
import requests

from agent.sandbox.portal.app import create_app
from agent.sandbox.portal.client import SandboxControl, SandboxControlError
from agent.sandbox.portal.server import RunningSandbox, start_sandbox
from agent.sandbox.portal.state import PortalState
from tests.sandbox.portal_http import PortalBrowser, page_text

pytestmark = pytest.mark.unit


def test_ping_says_sandbox_and_skin(sim: SandboxControl) -> None:
    answer = sim.ping()
    assert answer["sandbox"] is True
    assert answer["ui"] == "classic"
    assert answer["mode"] == "test"
    assert answer["shortcodes"] == ["600000"]


def test_control_surface_is_absent_in_portal_mode() -> None:
    client = create_app(PortalState(), mode="portal").test_client()
    for path in ("/__sim/ping", "/__sim/sms", "/__sim/captcha", "/__sim/state"):
        assert client.get(path).status_code == 404
    assert client.post("/__sim/reset").status_code == 404
    assert client.get("/orglogin.action").status_code == 200


def test_state_has_operators_but_no_password_material(sim: SandboxControl) -> None:
    state = sim.state()
    [org] = state["orgs"]
    assert org["shortcode"] == "600000"
    assert org["name"] == "Sandbox Duka Ltd"
    [admin] = org["operators"]
    assert admin["username"] == "sandboxadmin"
    assert admin["roles"] == ["Business Administrator"]
    assert admin["notification_msisdn"] == "254708374149"
    assert admin["status"] == "Active"
    text = str(state)
    assert "Sandbox#2030" not in text
    assert "password_hash" not in text


def test_seed_extras_operators_and_errors(sim: SandboxControl) -> None:
    created = sim.seed(extras=["manager", "api_operator", "pending_web_operator"])
    by_name = {o["username"]: o for o in created["operators"]}
    assert by_name["sandboxmgr"]["password"] == "Manager#2030"
    assert by_name["newclerk"]["status"] == "Pending Active"
    assert by_name["newclerk"]["password"] is None
    assert sim.wait_for_credentials("254708374152")[0] == "newclerk"
    assert {o["username"] for o in sim.state()["orgs"][0]["operators"]} == {
        "sandboxadmin",
        "sandboxmgr",
        "sandboxapi",
        "newclerk",
    }
    sim.seed(
        {
            "replace": True,
            "shortcode": "4012345",
            "org_name": "Mama Mboga Store",
            "operators": [{"username": "apiop1", "channels": ["API"], "roles": ["Balance Query ORG API"]}],
        }
    )
    state = sim.state()
    assert [o["shortcode"] for o in state["orgs"]] == ["4012345"]
    assert [o["username"] for o in state["orgs"][0]["operators"]] == ["sandboxadmin", "apiop1"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"extras": ["nobody"]}, "extras"),
        ({"operators": [{"username": "x", "roles": ["No Such Role"]}]}, "role catalogue"),
        ({"operators": [{"username": "x", "password": "weak"}]}, "rules"),
        ({"shortcode": "12"}, "5 to 10 digits"),
    ]
    for bad, fragment in cases:
        with pytest.raises(SandboxControlError, match=fragment):
            sim.seed(bad)


def test_reset_restores_the_default_seed_and_clears_everything(sim: SandboxControl) -> None:
    sim.seed(extras=["manager"])
    sim.advance_clock(days=3)
    sim.fault("latency", path="/nowhere", seconds=1)
    sim.settings(lockout_threshold=5)
    sim.reset()
    state = sim.state()
    assert [o["username"] for o in state["orgs"][0]["operators"]] == ["sandboxadmin"]
    assert state["faults"] == []
    assert state["clock_offset_seconds"] == 0
    assert state["settings"]["lockout_threshold"] == 3
    assert sim.sms() == []
    sim.reset(seed=False)
    assert sim.state()["orgs"] == []


def test_clock_moves_forward_only(sim: SandboxControl) -> None:
    start = sim.advance_clock()["offset_seconds"]
    assert sim.advance_clock(days=1, seconds=30)["offset_seconds"] == start + 86430
    with pytest.raises(SandboxControlError, match="non-negative"):
        sim.advance_clock(seconds=-5)


def test_settings_are_validated(sim: SandboxControl) -> None:
    assert sim.settings()["otp_ttl_seconds"] == 300
    assert sim.settings(otp_ttl_seconds=60, fixed_captcha="1234")["fixed_captcha"] == "1234"
    for bad in ({"lockout_threshold": 0}, {"fixed_otp": "12"}, {"nonsense": 1}):
        with pytest.raises(SandboxControlError):
            sim.settings(**bad)


def test_fixed_captcha_and_otp_and_long_poll_for_sms(portal: RunningSandbox, sim: SandboxControl) -> None:
    sim.settings(fixed_captcha="4092", fixed_otp="123456")
    http = requests.Session()
    http.get(portal.login_url, timeout=5)
    http.get(portal.url + "/verifycode.action", timeout=5)
    assert sim.captcha() == "4092"
    before = sim.last_message_id()
    response = http.post(
        portal.login_url,
        data={
            "shortcode": "600000",
            "username": "sandboxadmin",
            "password": "Sandbox#2030",
            "verification_code": "4092",
        },
        timeout=5,
    )
    assert response.url.endswith("/otp.action")
    assert sim.wait_for_otp("254708374149", after=before, wait=2) == "123456"
    started = time.monotonic()
    assert sim.sms("254700000000", wait=0.3) == []
    assert time.monotonic() - started >= 0.3


def test_captcha_by_session_when_two_browsers_are_open(portal: RunningSandbox, sim: SandboxControl) -> None:
    first, second = requests.Session(), requests.Session()
    for session in (first, second):
        session.get(portal.login_url, timeout=5)
        session.get(portal.url + "/verifycode.action", timeout=5)
    a, b = first.cookies["JSESSIONID"], second.cookies["JSESSIONID"]
    assert sim.captcha_info(a)["session"] == a
    assert sim.captcha_info(b)["session"] == b
    assert sim.captcha_info()["session"] == b  # the latest issued
    info = sim.captcha_info(a)
    first.get(portal.url + "/verifycode.action", timeout=5)
    assert sim.captcha_info(a, after=info["seq"], wait=2)["seq"] > info["seq"]


def test_latency_fault_delays_matching_pages_only(portal: RunningSandbox, sim: SandboxControl) -> None:
    sim.fault("latency", path="/orglogin.action", seconds=0.6, times=1)
    started = time.monotonic()
    requests.get(portal.login_url, timeout=5)
    assert time.monotonic() - started >= 0.6
    for path in ("/orglogin.action", "/forgotPassword.action"):  # used up / another page: no delay
        started = time.monotonic()
        requests.get(portal.url + path, timeout=5)
        assert time.monotonic() - started < 0.6
    assert sim.state()["faults"] == []


def test_stopping_the_server_ends_an_injected_wait() -> None:
    other = start_sandbox()
    other.control.fault("latency", path="*", seconds=60, times=1)
    outcome: list[object] = []

    def slow() -> None:
        try:
            outcome.append(requests.get(other.login_url, timeout=30).status_code)
        except requests.RequestException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=slow)
    worker.start()
    deadline = time.monotonic() + 5
    while other.state.faults.active and time.monotonic() < deadline:  # the request took the fault: it is waiting
        time.sleep(0.01)
    assert other.state.faults.active == []
    started = time.monotonic()
    other.stop()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert outcome
    assert time.monotonic() - started < 5


def _login_session(portal: RunningSandbox, sim: SandboxControl) -> requests.Session:
    http = requests.Session()
    http.get(portal.login_url, timeout=5)
    http.get(portal.url + "/verifycode.action", timeout=5)
    before = sim.last_message_id()
    code = sim.captcha(http.cookies["JSESSIONID"])
    http.post(
        portal.login_url,
        data={"shortcode": "600000", "username": "sandboxmgr", "password": "Manager#2030", "verification_code": code},
        timeout=5,
    )
    http.post(
        portal.url + "/otp.action",
        data={"otp": sim.wait_for_otp("254708374150", after=before), "action": "submit"},
        timeout=5,
    )
    return http


def test_error_after_commit_returns_500_but_the_change_is_made(portal: RunningSandbox, sim: SandboxControl) -> None:
    sim.seed(extras=["manager", "api_operator"])
    http = _login_session(portal, sim)
    api = sim.operator("sandboxapi")
    before = api["password_set_at"]
    sim.fault("error_after_commit", path="/operator/setPassword.action")
    form = {"id": api["identity_id"], "password": "New#Init2031", "confirm_password": "New#Init2031"}
    response = http.post(portal.url + "/operator/setPassword.action", data=form, timeout=5)
    assert response.status_code == 500
    assert sim.operator("sandboxapi")["password_set_at"] != before
    again = http.post(portal.url + "/operator/setPassword.action", data=form, timeout=5)
    assert again.status_code == 200  # used up


def test_a_failed_validation_is_not_a_commit(portal: RunningSandbox, sim: SandboxControl) -> None:
    sim.seed(extras=["manager", "api_operator"])
    http = _login_session(portal, sim)
    api = sim.operator("sandboxapi")
    sim.fault("error_after_commit", path="/operator/")
    bad = {"id": api["identity_id"], "password": "weak", "confirm_password": "weak"}
    assert http.post(portal.url + "/operator/setPassword.action", data=bad, timeout=5).status_code == 200
    assert len(sim.state()["faults"]) == 1


def test_drop_after_commit_closes_the_connection_without_a_reply(portal: RunningSandbox, sim: SandboxControl) -> None:
    sim.seed(extras=["manager", "api_operator"])
    http = _login_session(portal, sim)
    api = sim.operator("sandboxapi")
    before = api["password_set_at"]
    sim.fault("drop_after_commit")
    form = {"id": api["identity_id"], "password": "New#Init2031", "confirm_password": "New#Init2031"}
    with pytest.raises(requests.ConnectionError) as caught:
        http.post(portal.url + "/operator/setPassword.action", data=form, timeout=5, allow_redirects=False)
    assert isinstance(caught.value.__context__ or caught.value, BaseException)
    assert sim.operator("sandboxapi")["password_set_at"] != before
    assert http.get(portal.url + "/home.action", timeout=5).status_code == 200  # the server lives on


def test_drop_after_commit_on_login_sends_the_otp_anyway(portal: RunningSandbox, sim: SandboxControl) -> None:
    sim.fault("drop_after_commit", path="/orglogin.action")
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=5)
    conn.request("GET", "/orglogin.action")
    response = conn.getresponse()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    response.read()
    conn.request("GET", "/verifycode.action", headers={"Cookie": cookie})
    conn.getresponse().read()
    code = sim.captcha(cookie.split("=", 1)[1])
    body = f"shortcode=600000&username=sandboxadmin&password=Sandbox%232030&verification_code={code}"
    conn.request(
        "POST",
        "/orglogin.action",
        body=body,
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.getresponse()
    assert sim.sms("254708374149", kind="LOGIN_OTP", wait=2)


def test_expire_sessions_sends_the_browser_back_to_login(state: PortalState) -> None:
    app = create_app(state, mode="test")
    one, two = PortalBrowser(app), PortalBrowser(app)
    one.login()
    two.login()
    expired = one.sim_post("fault", {"kind": "expire_sessions", "session": one.session_id()})
    assert expired.json == {"faults": [], "expired_sessions": 1}
    assert one.http.get("/home.action").location.endswith("/orglogin.action?expired=1")
    assert two.http.get("/home.action").status_code == 200
    one.sim_post("fault", {"kind": "expire_sessions"})
    assert two.http.get("/home.action").location.endswith("/orglogin.action?expired=1")
    assert "Your session has expired. Please log in again." in page_text(two.http.get("/orglogin.action?expired=1"))


def test_rename_label_changes_visible_text_and_names_but_not_form_values(web: PortalBrowser) -> None:
    web.login()
    assert (
        web.sim_post("fault", {"kind": "rename_label", "old": "Operators", "new": "Operator List"}).status_code == 200
    )
    web.sim_post("fault", {"kind": "rename_label", "old": "User Name", "new": "Username"})
    web.sim_post("fault", {"kind": "rename_label", "old": "Details", "new": "View"})
    web.sim_post("seed", {"replace": False, "extras": ["manager"]})
    page = web.http.get("/browseOrg/operators.action?search=1")
    text, html = page_text(page), page.get_data(as_text=True)
    assert "Operator List" in text
    assert "| Operators |" not in f"| {text} |"
    assert "Username" in text
    assert "User Name" not in text
    assert 'aria-label="View"' in html
    assert 'aria-label="Details"' not in html
    assert 'name="username"' in html  # submitted field names are untouched
    web.sim_post("fault", {"kind": "clear"})
    assert "User Name" in page_text(web.http.get("/browseOrg/operators.action"))


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "explode"},
        {"kind": "latency"},
        {"kind": "latency", "seconds": 0},
        {"kind": "latency", "seconds": 1, "times": 0},
        {"kind": "rename_label", "old": ""},
        {"kind": "error_after_commit", "path": 5},
    ],
)
def test_bad_fault_requests_are_400(web: PortalBrowser, body: dict[str, object]) -> None:
    response = web.sim_post("fault", body)
    assert response.status_code == 400
    assert "error" in (response.json or {})


def test_control_client_reports_an_unreachable_sandbox() -> None:
    with pytest.raises(SandboxControlError, match="did not answer"):
        SandboxControl("http://127.0.0.1:9", timeout=1).ping()
