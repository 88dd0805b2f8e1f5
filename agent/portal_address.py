"""Whether a portal address may receive the Business Administrator's password, decided before a browser starts.

What belongs here: one pure check, ``check_portal_address``, used by every command that logs in to the portal (the
plan shows its result). The rules:

* ``https`` only. Plain ``http`` only to this computer (127.0.0.0/8, ``::1``, ``localhost``): the sandbox.
* No user-info (``https://org.ke.m-pesa.com@evil.example`` is a page on evil.example), no other scheme
  (``file:``, ``javascript:``, ``data:``, ``chrome:``, ``ftp:``, ...), no control characters, spaces or
  backslashes (browsers and parsers disagree about them), no port out of range.
* The host is compared in its ASCII (IDNA/punycode) form, exactly, with the known Safaricom portal hosts in
  ``config/portal_hosts.toml``: a look-alike (``org.ke.m-pesa.com.evil.example``, a Cyrillic ``о`` in ``org``) does
  not match. The ASCII form is what the plan displays, so a look-alike shows as ``xn--...``.
* Any other host is refused unless the caller passes it as trusted (the profile's ``trusted_portal_hosts`` list);
  the result then says it must be announced before the password is typed.

A refusal is a ``PortalAddressError`` (a ``UsageError``, exit 2) whose message says why and whose hint says how
to fix it. Nothing here opens a connection or resolves a name.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Sequence
from typing import Final, Literal
from urllib.parse import SplitResult, urlsplit

from agent.errors import UsageError

HOSTS_FILE: Final = "portal_hosts.toml"
TRUSTED_KEY: Final = "trusted_portal_hosts"
MAX_URL_LENGTH: Final = 2048
_LABEL_RE = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_BAD_CHARS_RE = re.compile(r"[\x00-\x20\x7f-\x9f\\\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff]")

Kind = Literal["safaricom", "loopback", "trusted"]


class PortalAddressError(UsageError):
    """The portal address is refused (exit 2): the message says why, the hint how to fix it."""


@dataclasses.dataclass(frozen=True)
class PortalAddress:
    """An accepted portal address.

    ``url`` is the address to open, with the host in ASCII form; ``host`` is that ASCII (punycode) host, for
    display; ``kind`` says why it is accepted; ``announce`` is True for a host trusted only by the profile, which
    must be shown to the person (``announcement``) before the password is typed.
    """

    url: str
    host: str
    port: int | None
    kind: Kind
    announce: bool

    @property
    def announcement(self) -> str:
        """The line to show before typing a password into this address ("" when nothing needs announcing)."""
        if not self.announce:
            return ""
        return (
            f"The portal address {self.host} is not a Safaricom M-PESA portal host; it is used because the profile "
            f"lists it under {TRUSTED_KEY}. The Business Administrator's password will be typed into it."
        )


def known_portal_hosts() -> tuple[str, ...]:
    """The Safaricom portal hosts from ``config/portal_hosts.toml`` (ASCII, lower case)."""
    from agent.resources import load_toml

    return tuple(str(h) for h in load_toml(HOSTS_FILE).get("safaricom_portal_hosts", ()))


def _loopback_names() -> tuple[str, ...]:
    from agent.resources import load_toml

    return tuple(str(h) for h in load_toml(HOSTS_FILE).get("loopback_names", ("localhost",)))


def _refuse(url: str, why: str, hint: str) -> PortalAddressError:
    shown = url if len(url) <= 120 else url[:117] + "..."
    return PortalAddressError(f"Refusing the portal address {shown!r}: {why}.", hint=hint)


_HTTPS_HINT = "Use the real portal, https://org.ke.m-pesa.com (the default when --portal-url is not given)."


def ascii_host(host: str) -> str:
    """``host`` in lower-case ASCII (IDNA/punycode) form without a trailing dot; ValueError when it is not a host."""
    host = host.strip().lower()
    if host.endswith("."):
        host = host[:-1]
    if not host or ".." in host:
        raise ValueError("empty host or empty label")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        ascii_form = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("not a valid international host name") from None
    labels = ascii_form.split(".")
    if len(ascii_form) > 253 or not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise ValueError("not a valid host name")
    return ascii_form


def _is_loopback(host: str, loopback_names: Sequence[str]) -> bool:
    if host in loopback_names:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise _refuse(url, f"it is not a valid address ({exc})", _HTTPS_HINT) from None
    return parts


def check_portal_address(
    url: str,
    *,
    trusted_hosts: Sequence[str] = (),
    known_hosts: Sequence[str] | None = None,
) -> PortalAddress:
    """Accept ``url`` as the portal address, or raise ``PortalAddressError`` (exit 2) saying why and what to do.

    ``trusted_hosts`` are the hosts the profile names under ``trusted_portal_hosts`` (any form: Unicode or
    punycode, any case); ``known_hosts`` defaults to the Safaricom hosts in ``config/portal_hosts.toml``.
    """
    if not isinstance(url, str) or not url.strip():
        raise PortalAddressError("The portal address is empty.", hint=_HTTPS_HINT)
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(url, f"it is longer than {MAX_URL_LENGTH} characters", _HTTPS_HINT)
    if _BAD_CHARS_RE.search(url):
        raise _refuse(url, "it contains a space, a control character or a backslash", _HTTPS_HINT)
    scheme_end = url.find(":")
    scheme = url[:scheme_end].lower() if scheme_end > 0 else ""
    if scheme not in ("https", "http"):
        if not scheme or not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme) or "." in scheme:
            why = "it does not start with https://"
        else:
            why = f"{scheme}: is not a web address (only https, or plain http to this computer)"
        raise _refuse(url, why, _HTTPS_HINT)
    parts = _split(url)
    if not url[len(scheme) + 1 :].startswith("//"):
        raise _refuse(url, "it has no host (write https://host/...)", _HTTPS_HINT)
    netloc = parts.netloc
    if "@" in netloc:
        raise _refuse(
            url,
            "it contains a user name part (text before '@'); such an address opens the host after the '@', "
            f"here {parts.hostname or '(none)'}",
            _HTTPS_HINT + " Never put a user name or password in the address.",
        )
    raw_host = parts.hostname or ""
    if "%" in netloc or not raw_host:
        raise _refuse(url, "it has no valid host", _HTTPS_HINT)
    try:
        host = ascii_host(raw_host)
    except ValueError as exc:
        raise _refuse(url, f"its host is not valid ({exc})", _HTTPS_HINT) from None

    loopback = _is_loopback(host, _loopback_names())
    if scheme == "http" and not loopback:
        raise _refuse(
            url,
            f"plain http to {host} would send the password unencrypted; plain http is only for this computer "
            "(the sandbox on 127.0.0.1 or localhost)",
            f"Use https://{host}/ if that host really is the portal. " + _HTTPS_HINT,
        )
    known = tuple(ascii_host(h) for h in (known_portal_hosts() if known_hosts is None else known_hosts))
    port = parts.port
    kind: Kind
    if loopback:
        kind = "loopback"
    elif host in known:
        kind = "safaricom"
    else:
        trusted: set[str] = set()
        for entry in trusted_hosts:
            try:
                trusted.add(ascii_host(str(entry)))
            except ValueError as exc:
                raise PortalAddressError(
                    f"The entry {str(entry)[:80]!r} under {TRUSTED_KEY} is not a host name ({exc}).",
                    hint=f'Write host names only, e.g. {TRUSTED_KEY} = ["portal.example.co.ke"] '
                    "(no https://, no path).",
                ) from None
        if host not in trusted:
            lookalike = any(k in host or host in k for k in known) or host != raw_host.lower().rstrip(".")
            why = f"{host} is not a Safaricom M-PESA portal host ({', '.join(known)})"
            if lookalike:
                why += "; it only looks like one"
            raise _refuse(
                url,
                why,
                _HTTPS_HINT + f" If you really use a different portal host, name it in the profile in the "
                f'configuration file: {TRUSTED_KEY} = ["{host}"]; it will be announced before the password is typed.',
            )
        kind = "trusted"
    display_host = f"[{host}]" if ":" in host else host
    netloc_out = display_host if port is None else f"{display_host}:{port}"
    normalised = parts._replace(scheme=scheme, netloc=netloc_out).geturl()
    return PortalAddress(url=normalised, host=host, port=port, kind=kind, announce=kind == "trusted")
