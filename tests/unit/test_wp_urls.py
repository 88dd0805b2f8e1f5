"""wp_bridge.urls: normalising site addresses, the https-or-loopback rule, redirects credentials may follow."""

from __future__ import annotations

import uuid

import pytest

from wp_bridge import errors
from wp_bridge.urls import (
    ApiRoot,
    app_id_for,
    is_loopback_host,
    normalize_site_url,
    require_secure,
    same_site_redirect,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("shop.example", "https://shop.example"),
        ("  HTTPS://Shop.Example/  ", "https://shop.example"),
        ("https://shop.example:443/", "https://shop.example"),
        ("https://shop.example:8443", "https://shop.example:8443"),
        ("https://shop.example/blog/", "https://shop.example/blog"),
        ("https://shop.example/wp-admin/", "https://shop.example"),
        ("https://shop.example/blog/wp-json", "https://shop.example/blog"),
        ("https://shop.example/?p=1#top", "https://shop.example"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://duka.例え.jp", "https://duka.xn--r8jz45g.jp"),
    ],
)
def test_normalize_site_url(typed: str, normalised: str) -> None:
    assert normalize_site_url(typed) == normalised


@pytest.mark.parametrize("bad", ["", "   ", "ftp://shop.example", "https://", "https://shop.example:99999"])
def test_normalize_refuses_bad_addresses(bad: str) -> None:
    with pytest.raises(errors.InvalidSiteURLError) as caught:
        normalize_site_url(bad)
    assert caught.value.hint


def test_credentials_in_the_address_are_refused_and_not_echoed() -> None:
    with pytest.raises(errors.InvalidSiteURLError) as caught:
        normalize_site_url("https://admin:hunter2pass@shop.example")
    assert "hunter2pass" not in caught.value.message + (caught.value.hint or "")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("10.0.0.1", False),
        ("shop.example", False),
        ("localhost.shop.example", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback_host(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_http_only_for_loopback() -> None:
    require_secure("https://shop.example/wp-json/")
    require_secure("http://127.0.0.1:8000/wp-json/")
    require_secure("http://localhost/")
    with pytest.raises(errors.InsecureTransportError) as caught:
        require_secure("http://shop.example/wp-json/")
    assert "https://" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("https://shop.example/a", "https://shop.example/b", True),
        ("http://shop.example/a", "https://shop.example/a", True),  # the upgrade
        ("https://shop.example/a", "http://shop.example/a", False),  # a downgrade
        ("https://shop.example/a", "https://www.shop.example/a", False),
        ("https://shop.example/a", "https://shop.example:8443/a", False),
        ("https://shop.example/a", "https://evil.example/a", False),
    ],
)
def test_same_site_redirect(old: str, new: str, allowed: bool) -> None:
    assert same_site_redirect(old, new) is allowed


def test_app_id_is_uuid5_of_the_normalised_url() -> None:
    value = app_id_for("Shop.Example/")
    assert value == str(uuid.uuid5(uuid.NAMESPACE_URL, "https://shop.example"))
    assert uuid.UUID(value).version == 5
    assert app_id_for("https://shop.example") == value


def test_api_root_styles_build_route_urls() -> None:
    pretty = ApiRoot.from_url("https://shop.example/wp-json")
    assert pretty.style == "pretty"
    assert pretty.route("/wc/v3/payment_gateways/mpesa", {"_fields": "id"}) == (
        "https://shop.example/wp-json/wc/v3/payment_gateways/mpesa",
        {"_fields": "id"},
    )
    query = ApiRoot.from_url("https://shop.example/index.php?rest_route=/")
    assert query.style == "query"
    assert query.route("wp/v2/users/me") == ("https://shop.example/index.php", {"rest_route": "/wp/v2/users/me"})
    assert query.site_origin == "https://shop.example"
