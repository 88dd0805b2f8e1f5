"""Fixtures of the ``wordpress`` tier: one real WordPress (Debian core + MariaDB + php -S) per session.

``wordpress`` starts it once (about 2 s) and tears every process group down at the end, also after failures;
``_fresh_gateway`` puts the stand-in WooCommerce gateway back to "Osen, never saved" before each test. ``double``
gives the same small interface over the real WordPress and over the sandbox shop, so one test can check both.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import component_unavailable
from tests.harness.secret_service import ComponentMissing
from tests.harness.wordpress import ADMIN_USER, SandboxShopServer, WordPressSite


@pytest.fixture(scope="session")
def wordpress() -> Iterator[WordPressSite]:
    try:
        WordPressSite.check_components()
    except ComponentMissing as exc:
        component_unavailable("Real WordPress (php, MariaDB, Debian's wordpress)", str(exc))
    site = WordPressSite()
    try:
        site.start()
    except (ComponentMissing, OSError, RuntimeError) as exc:
        site.stop()
        component_unavailable("Real WordPress", str(exc))
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture(autouse=True)
def _fresh_gateway(wordpress: WordPressSite) -> None:
    wordpress.reset_gateway()


@dataclasses.dataclass
class Double:
    """One WooCommerce double behind a URL: the real WordPress + our mu-plugin, or the sandbox shop."""

    name: str
    url: str
    new_app_password: Callable[[str], str]
    stored: Callable[[], dict[str, Any] | None]
    set_plugin: Callable[[str], None]


def _wordpress_double(wordpress: WordPressSite) -> Double:
    def new_app_password(login: str) -> str:
        return wordpress.create_app_password(login, f"tests {secrets.token_hex(4)}")["password"]

    def stored() -> dict[str, Any] | None:
        value = wordpress.get_option("woocommerce_mpesa_settings")
        return value if isinstance(value, dict) else None

    def set_plugin(name: str) -> None:
        wordpress.update_option("mpesa_test_gateway_plugin", name)

    return Double("wordpress", wordpress.url, new_app_password, stored, set_plugin)


def _shop_double(shop: SandboxShopServer) -> Double:
    def new_app_password(login: str) -> str:
        return shop.app_password(login)

    def stored() -> dict[str, Any] | None:
        data = shop.sim("GET", "gateway/mpesa")
        return data["values"] if data["saved"] else None

    def set_plugin(name: str) -> None:
        shop.sim("POST", "settings", {"plugin": name})

    return Double("shop", shop.url, new_app_password, stored, set_plugin)


@pytest.fixture
def shop() -> Iterator[SandboxShopServer]:
    server = SandboxShopServer()
    yield server
    server.stop()


@pytest.fixture(params=["wordpress", "shop"])
def double(request: pytest.FixtureRequest, wordpress: WordPressSite, shop: SandboxShopServer) -> Double:
    return _wordpress_double(wordpress) if request.param == "wordpress" else _shop_double(shop)


@pytest.fixture
def both(wordpress: WordPressSite, shop: SandboxShopServer) -> tuple[Double, Double]:
    return _wordpress_double(wordpress), _shop_double(shop)


@pytest.fixture
def admin_password(wordpress: WordPressSite) -> str:
    """A fresh application password of the administrator (tests may revoke it)."""
    return wordpress.create_app_password(ADMIN_USER, f"tests {secrets.token_hex(4)}")["password"]
