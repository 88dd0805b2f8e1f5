"""A user's portal.toml override replaces the shipped element (a lone ``css`` wins), merges texts and columns key
by key, and ``--portal-url`` takes either the portal's base address or its login page."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import settings
from agent.portal.pagemap import PageMap
from agent.portal.session import portal_base_url

pytestmark = pytest.mark.unit


def _write_override(text: str) -> Path:
    config_dir = settings.paths().config_dir
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "portal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_map_finds_the_user_name_by_label(agent_home: Path) -> None:
    assert PageMap.load("classic").element("login", "user_name").spec == {"label": "User Name"}


def test_a_lone_css_override_replaces_the_shipped_locator(agent_home: Path) -> None:
    _write_override('[classic.login]\nuser_name = { css = "#uname", why = "relabelled" }\n')
    element = PageMap.load("classic").element("login", "user_name")
    assert element.spec == {"css": "#uname", "why": "relabelled"}
    assert "label" not in element.spec
    assert element.describe() == "the element '#uname'"
    # the rest of the screen keeps the shipped elements
    assert PageMap.load("classic").element("login", "password").spec == {"label": "Password"}


def test_a_role_override_drops_the_shipped_partial_and_within(agent_home: Path) -> None:
    _write_override('[classic.create]\nconfirm = { role = "button", name = "OK" }\n')
    element = PageMap.load("classic").element("create", "confirm")
    assert element.spec == {"role": "button", "name": "OK"}
    assert element.parent is None


def test_texts_and_columns_still_merge_key_by_key(agent_home: Path) -> None:
    _write_override('[classic.operators.columns]\nstatus = "State"\n[classic.login.texts]\nlocked = "is blocked"\n')
    pagemap = PageMap.load("classic")
    columns = pagemap.value("operators", "columns")
    assert columns["status"] == "State"
    assert columns["user_name"] == "User Name"
    assert pagemap.text("login", "locked") == "is blocked"
    assert pagemap.text("login", "captcha_wrong") == "verification code is incorrect or has expired"


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("https://org.ke.m-pesa.com", "https://org.ke.m-pesa.com"),
        ("https://org.ke.m-pesa.com/", "https://org.ke.m-pesa.com"),
        ("https://org.ke.m-pesa.com/orglogin.action", "https://org.ke.m-pesa.com"),
        ("https://org.ke.m-pesa.com/orglogin.action?lang=en", "https://org.ke.m-pesa.com"),
        ("http://127.0.0.1:8123/orglogin.action", "http://127.0.0.1:8123"),
        ("https://org.ke.m-pesa.com/#/login", "https://org.ke.m-pesa.com"),
        ("https://org.ke.m-pesa.com/#/login/", "https://org.ke.m-pesa.com"),
        ("https://host.example/portal/orglogin.action", "https://host.example/portal"),
        ("https://host.example/portal/", "https://host.example/portal"),
    ],
)
def test_portal_url_accepts_the_base_or_the_login_page(given: str, base: str) -> None:
    assert portal_base_url(given) == base


def test_login_page_url_is_not_doubled() -> None:
    login_path = "/orglogin.action"
    url = portal_base_url("https://org.ke.m-pesa.com/orglogin.action").rstrip("/") + login_path
    assert url == "https://org.ke.m-pesa.com/orglogin.action"
