"""The whole sandbox as ``mpesa-agent sandbox`` runs it: fixed ports (the same after a restart), clear port errors,
a banner whose every URL answers, the readable SMS inbox and captcha pages, and the README path on real sockets
(an application password made on the Profile page, pushed with wp_bridge, seen on the settings page)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from html import unescape

import pytest
import requests

from agent.errors import ExitStatus, UsageError
from agent.sandbox import runner
from agent.sandbox.portal import ADMIN_MSISDN, ADMIN_PASSWORD, ADMIN_USERNAME, SHORTCODE
from tests.sandbox.portal_http import PortalBrowser
from tests.sandbox.test_shop_pages import by_id
from wp_bridge import gateway
from wp_bridge.client import Credentials, WPClient, discover

pytestmark = pytest.mark.unit

URL_RE = re.compile(r"http://127\.0\.0\.1:\d+\S*")
UA = "mpesa-agent/test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def can_bind(port: int) -> bool:
    """Whether a server could bind ``port`` now, binding as werkzeug does (SO_REUSEADDR: TIME_WAIT is no owner)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture
def sandbox() -> Iterator[runner.Sandbox]:
    with runner.start(ui="classic", mode="demo") as running:
        yield running


def test_the_fixed_default_ports() -> None:
    assert (runner.DEFAULT_PORTAL_PORT, runner.DEFAULT_SHOP_PORT) == (8765, 8766)


def test_given_ports_are_used_and_the_same_again_after_a_restart() -> None:
    portal_port, shop_port = free_port(), free_port()
    for _start in range(2):  # a profile that names these URLs keeps working across restarts
        with runner.start(mode="demo", portal_port=portal_port, shop_port=shop_port) as running:
            assert running.portal_url == f"http://127.0.0.1:{portal_port}"
            assert running.shop_url == f"http://127.0.0.1:{shop_port}"
            assert requests.get(running.portal_login_url, timeout=10).status_code == 200
            assert requests.get(running.shop_url + "/", timeout=10).status_code == 200
        assert can_bind(portal_port)
        assert can_bind(shop_port)


def test_port_zero_still_picks_free_ports() -> None:
    with runner.start(mode="test") as one, runner.start(mode="test") as two:
        ports = {one.portal.port, one.shop.server.server_port, two.portal.port, two.shop.server.server_port}
        assert len(ports) == 4
        assert 0 not in ports


@pytest.mark.parametrize(("portal_port", "shop_port", "named"), [(-1, 0, "--port -1"), (0, 65536, "--shop-port 65536")])
def test_a_port_out_of_range_is_a_usage_error(portal_port: int, shop_port: int, named: str) -> None:
    with pytest.raises(UsageError) as caught:
        runner.start(mode="demo", portal_port=portal_port, shop_port=shop_port)
    assert caught.value.exit_status == ExitStatus.USAGE
    assert named in caught.value.message
    assert "1-65535" in caught.value.message


def test_the_same_port_twice_is_a_usage_error() -> None:
    port = free_port()
    with pytest.raises(UsageError, match=f"cannot share port {port}") as caught:
        runner.start(mode="demo", portal_port=port, shop_port=port)
    assert caught.value.hint
    assert "--shop-port" in caught.value.hint
    assert can_bind(port)


def test_a_taken_portal_port_is_a_usage_error_naming_the_port_and_the_flag() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError) as caught:
            runner.start(mode="demo", portal_port=port, shop_port=0)
    assert caught.value.exit_status == ExitStatus.USAGE
    assert f"127.0.0.1:{port}" in caught.value.message
    assert "already in use" in caught.value.message
    assert caught.value.hint
    assert "--port" in caught.value.hint


def test_a_taken_shop_port_stops_the_portal_it_had_started() -> None:
    portal_port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        shop_port = taken.getsockname()[1]
        with pytest.raises(UsageError, match="already in use") as caught:
            runner.start(mode="demo", portal_port=portal_port, shop_port=shop_port)
    assert "sandbox shop" in caught.value.message
    assert caught.value.hint
    assert "--shop-port" in caught.value.hint
    assert can_bind(portal_port)  # not left running


def test_the_banner_names_the_logins_and_every_url_answers(sandbox: runner.Sandbox) -> None:
    lines = runner.banner(sandbox, ui="classic")
    text = "\n".join(lines)
    assert lines[0] == f"Sandbox M-PESA Org Portal (classic): {sandbox.portal_url}/orglogin.action"
    for fact in (SHORTCODE, ADMIN_USERNAME, ADMIN_PASSWORD, ADMIN_MSISDN):
        assert fact in lines[1]
    assert f"{runner.SANDBOX_SHOP_USER} / {runner.SANDBOX_SHOP_PASSWORD}" in text
    for url in (
        sandbox.sms_url,
        sandbox.captcha_url,
        sandbox.shop_login_url,
        sandbox.app_password_url,
        sandbox.plugin_settings_url,
        sandbox.daraja_url,
    ):
        assert url is not None
        assert url in text
    from agent.sandbox.daraja import CONSUMER_KEY, CONSUMER_SECRET

    assert f"consumer key {CONSUMER_KEY}, consumer secret {CONSUMER_SECRET}" in text
    assert "POST" not in text
    assert "__sim" not in text
    assert "--captcha-from" not in text
    urls = URL_RE.findall(text)
    assert len(urls) >= 9
    web = requests.Session()
    for url in urls:
        answer = web.get(url, timeout=10)
        assert answer.status_code == 200, url


def test_the_banner_try_lines_follow_the_readme_quickstart(sandbox: runner.Sandbox) -> None:
    lines = runner.banner(sandbox)
    start = next(i for i, line in enumerate(lines) if line.startswith("Try"))
    commands = [line.split()[:4] for line in lines[start + 1 :] if line.startswith("  mpesa-agent")]
    assert commands == [
        ["mpesa-agent", "config", "init", "then"],
        ["mpesa-agent", "setup", "--portal-url", sandbox.portal_url],
        ["mpesa-agent", "link-site", sandbox.shop_url, "--username"],
        ["mpesa-agent", "push"],
        ["mpesa-agent", "go-live", "--environment", "sandbox"],
        ["mpesa-agent", "status"],
    ]
    assert f'admin_username = "{ADMIN_USERNAME}"' in lines[start + 1]
    assert "current" in runner.banner(sandbox, ui="current")[0]


def test_the_sms_inbox_page_shows_the_portal_sms_newest_first(sandbox: runner.Sandbox) -> None:
    empty = requests.get(sandbox.sms_url, timeout=10)
    assert empty.status_code == 200
    assert by_id(empty.text, "no-sms") is not None
    assert '<meta http-equiv="refresh"' in empty.text
    admin = PortalBrowser(sandbox.portal.app)  # the running portal's own app and state
    for _login in range(2):
        assert admin.submit_login().status_code == 302
    sent = admin.sms(ADMIN_MSISDN, "LOGIN_OTP")
    assert len(sent) == 2
    page = requests.get(sandbox.sms_url, timeout=10).text
    assert by_id(page, "no-sms") is None
    ids = [int(found) for found in re.findall(r'<tr class="sms" data-id="(\d+)"', page)]
    assert ids == sorted((m["id"] for m in sent), reverse=True)
    assert unescape(sent[-1]["text"]) in unescape(page)
    assert admin.latest_otp(ADMIN_MSISDN) in page


def test_the_captcha_page_shows_the_code_the_portal_image_shows(sandbox: runner.Sandbox) -> None:
    before = requests.get(sandbox.captcha_url, timeout=10)
    assert before.status_code == 200
    assert by_id(before.text, "no-captcha") is not None
    admin = PortalBrowser(sandbox.portal.app)
    admin.http.get("/orglogin.action")
    code = admin.captcha()  # loads the image, reads its code from the control surface
    shown = requests.get(sandbox.captcha_url, timeout=10).text
    assert by_id(shown, "captcha-code") == code
    assert '<meta http-equiv="refresh"' in shown


def test_readme_path_on_the_shop_profile_page_push_then_settings_page(sandbox: runner.Sandbox) -> None:
    browser = requests.Session()
    form = browser.get(sandbox.app_password_url, timeout=10)  # redirected to the login form
    assert form.url.startswith(sandbox.shop_login_url)
    redirect_to = re.search(r'name="redirect_to" value="([^"]+)"', form.text)
    assert redirect_to
    logged_in = browser.post(
        sandbox.shop_login_url,
        data={
            "log": runner.SANDBOX_SHOP_USER,
            "pwd": runner.SANDBOX_SHOP_PASSWORD,
            "redirect_to": unescape(redirect_to[1]),
        },
        timeout=10,
    )
    assert logged_in.url.split("#")[0] == sandbox.shop_url + "/wp-admin/profile.php"
    made = browser.post(
        sandbox.shop_url + "/wp-admin/profile.php", data={"new_application_password_name": "mpesa-agent"}, timeout=10
    )
    app_password = by_id(made.text, "new-application-password-value")
    assert app_password
    info = discover(sandbox.shop_url, user_agent=UA)
    client = WPClient(info.api_root, user_agent=UA, credentials=Credentials(runner.SANDBOX_SHOP_USER, app_password))
    me = requests.get(
        sandbox.shop_url + "/wp-json/wp/v2/users/me", auth=(runner.SANDBOX_SHOP_USER, app_password), timeout=10
    )
    assert me.status_code == 200
    assert me.json()["slug"] == runner.SANDBOX_SHOP_USER
    pushed = gateway.push_settings(
        client, {"initiator_username": "mamaapi", "initiator_password": "Kx7#mQ2$vL9%"}, site_url=info.site_url
    )
    assert pushed.verified
    settings = browser.get(sandbox.plugin_settings_url, timeout=10)
    assert settings.status_code == 200
    assert by_id(settings.text, "woocommerce_mpesa_initiator") == "mamaapi"
    assert by_id(settings.text, "woocommerce_mpesa_password") == "••••••••9%"
    assert "Kx7#mQ2$vL9%" not in unescape(settings.text)


def test_the_runner_constants_import_without_flask() -> None:
    """The CLI reads the default ports and logins for its --help without paying for Flask."""
    probe = "import sys, agent.sandbox.runner as r; print(r.DEFAULT_PORTAL_PORT, 'flask' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == [str(runner.DEFAULT_PORTAL_PORT), "False"]
