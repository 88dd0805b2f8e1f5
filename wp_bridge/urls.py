"""Site addresses: normalising what the owner typed, the https-or-loopback rule, and the REST route URLs.

A normalised site URL is ``scheme://host[:port][/path]`` in lower case, without a trailing slash, query, fragment
or user info; it is the key under which a site is linked (config and vault). ``https://`` is assumed when no scheme
is given. Plain ``http`` is accepted only for loopback hosts (127.0.0.0/8, ::1, ``localhost``).

``ApiRoot`` is where the REST API lives, in one of WordPress's two URL styles: ``pretty``
(``https://shop/wp-json/``) or ``query`` (``https://shop/?rest_route=/``, sites with plain permalinks).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import uuid
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from wp_bridge.errors import InsecureTransportError, InvalidSiteURLError

UrlStyle = Literal["pretty", "query"]


def is_loopback_host(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost`` (the only hosts that may be reached over plain http)."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_site_url(url: str) -> str:
    """The canonical form of a site address, e.g. ``Shop.Example/`` -> ``https://shop.example``."""
    text = (url or "").strip()
    if not text:
        raise InvalidSiteURLError(
            "No site address was given.", hint="Give the shop's address, e.g. https://shop.example"
        )
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidSiteURLError(
            f"'{_safe(url)}' is not a valid web address ({exc}).", hint="Give it as https://shop.example"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidSiteURLError(
            f"'{_safe(url)}' is not a web address (it starts with '{scheme}:').", hint="Give it as https://shop.example"
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidSiteURLError(
            "The site address contains a user name or password; credentials never go in the address.",
            hint="Give the address without 'user:password@'; the agent asks for the application password separately.",
        )
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or " " in host:
        raise InvalidSiteURLError(f"'{_safe(url)}' has no host name.", hint="Give it as https://shop.example")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise InvalidSiteURLError(f"The host name in '{_safe(url)}' is not valid.") from None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and not ((scheme == "https" and port == 443) or (scheme == "http" and port == 80)):
        netloc += f":{port}"
    path = parts.path.rstrip("/")
    for suffix in ("/wp-admin", "/wp-login.php", "/wp-json"):  # people paste these; the site is above them
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)]
    return urlunsplit((scheme, netloc, path, "", ""))


def require_secure(url: str) -> None:
    """Refuse plain http except to loopback hosts; TLS verification itself is never switched off."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return
    if parts.scheme == "http":
        raise InsecureTransportError(
            f"{origin(url)} would be reached over plain http; application passwords would travel unencrypted.",
            hint="Use the https:// address of the site (WordPress application passwords need HTTPS anyway).",
        )
    raise InvalidSiteURLError(f"'{_safe(url)}' is not an http(s) address.")


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], "", "", ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def same_site_redirect(old: str, new: str) -> bool:
    """A redirect credentials may follow: the same origin, or an http -> https upgrade of the same host."""
    a, b = urlsplit(old), urlsplit(new)
    if (a.hostname or "").lower() != (b.hostname or "").lower():
        return False
    if a.scheme == b.scheme:
        return _port(a.scheme, a.port) == _port(b.scheme, b.port)
    return a.scheme == "http" and b.scheme == "https"


def _port(scheme: str, port: int | None) -> int:
    return port if port is not None else (443 if scheme == "https" else 80)


def app_id_for(site_url: str) -> str:
    """The constant ``app_id`` for this site's application passwords: UUIDv5 in the URL namespace."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, normalize_site_url(site_url)))


def _safe(text: str) -> str:
    """A user-typed address for a message: shortened, and cut at any '@' so typed credentials are not echoed."""
    text = text.strip()
    if "@" in text:
        text = (
            text.split("://", 1)[0] + "://…@" + text.rsplit("@", 1)[-1]
            if "://" in text
            else "…@" + text.rsplit("@", 1)[-1]
        )
    return text if len(text) <= 80 else text[:77] + "..."


@dataclasses.dataclass(frozen=True)
class ApiRoot:
    """Where the REST API lives. Build every route URL from it (never guess ``/wp-json/`` again)."""

    url: str
    style: UrlStyle

    @classmethod
    def from_url(cls, url: str) -> ApiRoot:
        """Recognise the style of an API root URL (from the ``Link`` header, the config, or a guess)."""
        parts = urlsplit(url)
        if "rest_route=" in parts.query:
            return cls(url, "query")
        return cls(url if url.endswith("/") else url + "/", "pretty")

    def route(self, route: str, params: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
        """The URL and query parameters for ``route`` (e.g. ``/wc/v3/payment_gateways/mpesa``)."""
        route = "/" + route.lstrip("/")
        merged = dict(params or {})
        if self.style == "query":
            parts = urlsplit(self.url)
            query = [p for p in parts.query.split("&") if p and not p.startswith("rest_route=")]
            base = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "&".join(query), ""))
            return base, {"rest_route": route, **merged}
        return self.url + route.lstrip("/"), merged

    @property
    def site_origin(self) -> str:
        return origin(self.url)
