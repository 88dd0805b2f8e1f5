"""The portal address check: every hostile value refused with a reason and a fix, the real portal, the sandbox and
explicitly trusted hosts accepted (the trusted ones announced), hosts shown in ASCII (punycode) form."""

from __future__ import annotations

import pytest

from agent.errors import ExitStatus, UsageError
from agent.portal_address import (
    TRUSTED_KEY,
    PortalAddressError,
    check_portal_address,
    known_portal_hosts,
)

pytestmark = pytest.mark.unit

CYRILLIC_O = "\u043e"  # looks like a Latin "o"
CYRILLIC_E = "\u0435"

HOSTILE = [
    "http://evil.example",
    "https://evil.example",
    "https://evil.example/orglogin.action",
    "https://org.ke.m-pesa.com@evil.example",
    "https://org.ke.m-pesa.com:443@evil.example/orglogin.action",
    "https://admin:secret@org.ke.m-pesa.com/",
    "https://@org.ke.m-pesa.com/",
    "https://org.ke.m-pesa.com.evil.example",
    "https://ORG.KE.M-PESA.COM.evil.example/",
    f"https://{CYRILLIC_O}rg.ke.m-pesa.com/",
    f"https://org.ke.m-p{CYRILLIC_E}sa.com/",
    "https://xn--rg-emc.ke.m-pesa.com/",  # the punycode of the Cyrillic look-alike, typed directly
    "https://org-ke-m-pesa.com/",
    "https://org.ke.m-pesa.co/",
    "https://m-pesa.com/",
    "https://evil.example#@org.ke.m-pesa.com",
    "https://evil.example\\@org.ke.m-pesa.com",
    "https://org.ke.m-pesa.com%2eevil.example/",
    "https://org.ke.m-pesa.com\t.evil.example/",
    "https://org.ke.m-pesa.com\n.evil.example/",
    "https://org.ke.m-pesa.com:99999/",
    "https:///orglogin.action",
    "https:org.ke.m-pesa.com",
    "file:///etc/passwd",
    "file://C:/Users/mama/portal.html",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<form action=https://evil.example>",
    "chrome://settings/passwords",
    "ftp://org.ke.m-pesa.com/",
    "wss://org.ke.m-pesa.com/",
    "about:blank",
    "view-source:https://org.ke.m-pesa.com/",
    "blob:https://org.ke.m-pesa.com/1234",
    "http://org.ke.m-pesa.com/",  # the real host, but without encryption
    "http://10.0.0.1/",
    "http://192.168.1.1:8080/",
    "http://0.0.0.0:5000/",
    "http://2130706433/",  # 127.0.0.1 written as a number: browsers accept it, we do not guess
    "http://127.0.0.1.evil.example/",
    "http://localhost.evil.example/",
    "http://[::ffff:8.8.8.8]/",
    "org.ke.m-pesa.com",
    "//org.ke.m-pesa.com/",
    "localhost:5000",
    "",
    "   ",
    "https://" + "a" * 3000 + ".example",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_addresses_are_refused(url: str) -> None:
    with pytest.raises(PortalAddressError) as caught:
        check_portal_address(url)
    error = caught.value
    assert isinstance(error, UsageError)
    assert error.exit_status == ExitStatus.USAGE
    assert error.message.startswith(("Refusing the portal address", "The portal address is empty"))
    assert "https://org.ke.m-pesa.com" in (error.hint or "")


@pytest.mark.parametrize(
    "url",
    [
        "https://org.ke.m-pesa.com.evil.example",
        f"https://{CYRILLIC_O}rg.ke.m-pesa.com/",
        "https://evil.example",
    ],
)
def test_unknown_hosts_say_how_to_trust_them(url: str) -> None:
    with pytest.raises(PortalAddressError) as caught:
        check_portal_address(url)
    assert TRUSTED_KEY in (caught.value.hint or "")
    assert "not a Safaricom M-PESA portal host" in caught.value.message


def test_the_lookalike_is_named_in_ascii() -> None:
    with pytest.raises(PortalAddressError) as caught:
        check_portal_address(f"https://{CYRILLIC_O}rg.ke.m-pesa.com/")
    assert "xn--rg-emc.ke.m-pesa.com" in caught.value.message
    assert "only looks like one" in caught.value.message


def test_user_info_is_refused_naming_the_real_host() -> None:
    with pytest.raises(PortalAddressError) as caught:
        check_portal_address("https://org.ke.m-pesa.com@evil.example")
    assert "evil.example" in caught.value.message
    assert "user name part" in caught.value.message


@pytest.mark.parametrize(
    ("url", "host", "kind", "normalised"),
    [
        ("https://org.ke.m-pesa.com", "org.ke.m-pesa.com", "safaricom", "https://org.ke.m-pesa.com"),
        (
            "https://org.ke.m-pesa.com/orglogin.action",
            "org.ke.m-pesa.com",
            "safaricom",
            "https://org.ke.m-pesa.com/orglogin.action",
        ),
        (
            "https://org.ke.m-pesa.com/#/login?transaction_service=https%3A%2F%2Forg.ke.m-pesa.com%2Forgportal",
            "org.ke.m-pesa.com",
            "safaricom",
            "https://org.ke.m-pesa.com/#/login?transaction_service=https%3A%2F%2Forg.ke.m-pesa.com%2Forgportal",
        ),
        ("HTTPS://ORG.KE.M-PESA.COM/", "org.ke.m-pesa.com", "safaricom", "https://org.ke.m-pesa.com/"),
        ("  https://org.ke.m-pesa.com./  ", "org.ke.m-pesa.com", "safaricom", "https://org.ke.m-pesa.com/"),
        ("https://org.ke.m-pesa.com:443/", "org.ke.m-pesa.com", "safaricom", "https://org.ke.m-pesa.com:443/"),
        ("http://127.0.0.1:5000", "127.0.0.1", "loopback", "http://127.0.0.1:5000"),
        ("http://127.9.8.7:80/x", "127.9.8.7", "loopback", "http://127.9.8.7:80/x"),
        ("http://localhost:8080/orglogin.action", "localhost", "loopback", "http://localhost:8080/orglogin.action"),
        ("http://LOCALHOST:8080", "localhost", "loopback", "http://localhost:8080"),
        ("http://[::1]:9000/", "::1", "loopback", "http://[::1]:9000/"),
        ("https://127.0.0.1:8443/", "127.0.0.1", "loopback", "https://127.0.0.1:8443/"),
    ],
)
def test_valid_addresses(url: str, host: str, kind: str, normalised: str) -> None:
    address = check_portal_address(url)
    assert address.host == host
    assert address.kind == kind
    assert address.url == normalised
    assert not address.announce
    assert address.announcement == ""


def test_a_trusted_host_is_accepted_and_announced() -> None:
    address = check_portal_address("https://Portal.Example.co.ke/login", trusted_hosts=["portal.example.co.ke"])
    assert address.kind == "trusted"
    assert address.announce
    assert "portal.example.co.ke" in address.announcement
    assert TRUSTED_KEY in address.announcement
    with pytest.raises(PortalAddressError):  # still https only
        check_portal_address("http://portal.example.co.ke/", trusted_hosts=["portal.example.co.ke"])
    with pytest.raises(PortalAddressError):  # trusting one host does not trust its look-alikes
        check_portal_address("https://portal.example.co.ke.evil.example/", trusted_hosts=["portal.example.co.ke"])


def test_an_international_trusted_host_is_shown_in_punycode() -> None:
    address = check_portal_address("https://bücher.example/", trusted_hosts=["BÜCHER.example"])
    assert address.host == "xn--bcher-kva.example"
    assert address.url == "https://xn--bcher-kva.example/"
    address = check_portal_address("https://xn--bcher-kva.example/", trusted_hosts=["bücher.example"])
    assert address.kind == "trusted"


def test_a_bad_trusted_entry_names_the_key() -> None:
    with pytest.raises(PortalAddressError) as caught:
        check_portal_address("https://portal.example/", trusted_hosts=["https://portal.example/"])
    assert TRUSTED_KEY in caught.value.message


def test_the_known_hosts_come_from_the_data_file() -> None:
    assert known_portal_hosts() == ("org.ke.m-pesa.com",)
    assert check_portal_address("https://other.example/", known_hosts=["other.example"]).kind == "safaricom"
