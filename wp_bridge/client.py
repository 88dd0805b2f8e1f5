"""The HTTP client for one WordPress site: transport rules, REST discovery, and error mapping.

Transport rules (every request goes through ``Transport.send``):

* one configured ``requests.Session``: the caller's User-Agent (``mpesa-agent/<version>``), ``Accept: application/
  json``, TLS verification always on, a (connect, read) timeout on every call;
* retries (connection errors, 502/503/504) only for idempotent requests (GET, HEAD, OPTIONS): never for a POST
  that creates an application password, nor for a write;
* https only, except loopback hosts (127.0.0.0/8, ::1, localhost);
* redirects are followed by hand: a credentialed request follows only a redirect to the same origin (or the http ->
  https upgrade of the same host), never to another host; a write is never redirected;
* nothing logs a body or a header value: only method, route and status (bodies echo secrets, §3.4).

``WPClient`` adds the API root, the application-password credentials and the mapping of answers to the precise
exceptions in ``wp_bridge.errors`` (see ``_raise_for``). ``discover`` finds the API root of a site (``Link`` header,
``<link rel>``, then ``/wp-json/`` and ``?rest_route=/``) and reads the index (namespaces, authentication).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.util.retry import Retry

from wp_bridge import errors
from wp_bridge.urls import ApiRoot, normalize_site_url, origin, require_secure, same_site_redirect

log = logging.getLogger("wp_bridge")

Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (5.0, 30.0)
MAX_REDIRECTS = 5
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_REL = "https://api.w.org/"
INDEX_FIELDS = "name,url,home,namespaces,authentication"

HEADER_FIX_HINT = (
    "If the user name and application password are right, the web server is removing the Authorization header "
    "before WordPress sees it. Apache: add 'SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1' (outside the "
    "'# BEGIN WordPress' block of .htaccess); nginx: 'fastcgi_param HTTP_AUTHORIZATION $http_authorization;'; "
    "Plesk or a proxy: 'proxy_set_header Authorization $http_authorization;'. Otherwise create a new application "
    "password (Users -> Profile -> Application Passwords) and link the site again."
)
APP_PASSWORDS_HINT = (
    "Serve the site over HTTPS (application passwords are off on plain http); behind a proxy or Cloudflare "
    "'Flexible' SSL make WordPress see HTTPS (X-Forwarded-Proto). Security plugins switch them off too: in "
    "Wordfence see Firewall -> Brute Force Protection -> 'Disable WordPress application passwords'; also check "
    "'Disable Application Passwords', Solid Security and similar plugins."
)


@dataclasses.dataclass(frozen=True)
class Credentials:
    """A WordPress user name (login or e-mail) and one of its application passwords (never shown in repr)."""

    username: str
    app_password: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Reply:
    """A decoded answer: status, headers, the final URL, and the JSON body (``None`` if not JSON)."""

    status: int
    headers: CaseInsensitiveDict[str]
    url: str
    data: Any = dataclasses.field(repr=False)
    is_json: bool = True
    text_head: str = dataclasses.field(default="", repr=False)  # the first bytes of a non-JSON body, for sniffing

    @property
    def code(self) -> str | None:
        if isinstance(self.data, dict) and isinstance(self.data.get("code"), str):
            return str(self.data["code"])
        return None


def make_session(user_agent: str, *, retries: int = 2) -> requests.Session:
    """A session with the project's defaults (User-Agent, JSON, retries for idempotent methods only)."""
    if not user_agent or not user_agent.strip():
        raise ValueError("a User-Agent (mpesa-agent/<version>) is required")
    session = requests.Session()
    session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
    session.verify = True
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=False,
        backoff_factor=0.3,
        status_forcelist=(502, 503, 504),
        allowed_methods=IDEMPOTENT_METHODS,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class Transport:
    """Sends requests under the transport rules above. Counts what it sends (``sent``) for tests and reports."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: Timeout = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        retries: int = 2,
    ) -> None:
        self.session = session or make_session(user_agent, retries=retries)
        if session is not None:
            session.headers["User-Agent"] = user_agent
            session.headers.setdefault("Accept", "application/json")
        self.timeout = timeout
        self.sent = 0

    def close(self) -> None:
        self.session.close()

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        credentials: Credentials | None = None,
        follow_to_other_hosts: bool = False,
    ) -> requests.Response:
        method = method.upper()
        query = dict(params or {})
        for _hop in range(MAX_REDIRECTS + 1):
            require_secure(url)
            auth = (credentials.username, credentials.app_password) if credentials else None
            self.sent += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=query or None,
                    json=json_body,
                    headers=dict(headers or {}),
                    auth=auth,
                    timeout=self.timeout,
                    allow_redirects=False,
                    verify=True,
                )
            except requests.exceptions.SSLError:
                raise errors.TLSVerificationError(
                    f"The HTTPS certificate of {origin(url)} could not be verified, so nothing was sent.",
                    hint="Fix the site's certificate (it must be valid for this host name and not expired); "
                    "verification is never switched off.",
                ) from None
            except requests.exceptions.Timeout:
                raise errors.SiteUnreachableError(
                    f"{origin(url)} did not answer in time.",
                    hint="Check that the site is up (open it in a browser) and try again.",
                ) from None
            except requests.exceptions.InvalidURL:
                raise errors.InvalidSiteURLError(f"The address {origin(url)} is not valid.") from None
            except requests.exceptions.ConnectionError:
                raise errors.SiteUnreachableError(
                    f"Could not connect to {origin(url)}.",
                    hint="Check the address and your internet connection, and that the site is up.",
                ) from None
            except requests.exceptions.RequestException as exc:  # broken chunking, bad encoding, ...
                raise errors.SiteUnreachableError(
                    f"The connection to {origin(url)} broke during the answer ({type(exc).__name__}).",
                    hint="Try again; if it persists, check the site's server or proxy.",
                ) from None
            log.debug("%s %s -> %s", method, _route_for_log(url, query), response.status_code)
            location = response.headers.get("Location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                return response
            target = urljoin(response.url or url, location)
            if method not in IDEMPOTENT_METHODS:
                raise errors.RedirectRefusedError(
                    f"{origin(url)} redirected a {method} request to {origin(target)}; the change was not sent.",
                    hint="Link the site again with its final address (mpesa-agent link-site URL --force).",
                    status=response.status_code,
                )
            if credentials is not None and not same_site_redirect(url, target):
                raise errors.RedirectRefusedError(
                    f"{origin(url)} redirected to another host ({origin(target)}); the credentials were not sent "
                    "there.",
                    hint="Link the site again with its final address (mpesa-agent link-site URL --force).",
                    status=response.status_code,
                )
            if not follow_to_other_hosts and not same_site_redirect(url, target):
                raise errors.RedirectRefusedError(
                    f"{origin(url)} redirected to another host ({origin(target)}).",
                    hint="Use the site's final address.",
                    status=response.status_code,
                )
            url, query = target, {}
        raise errors.RedirectRefusedError(f"{origin(url)} redirected more than {MAX_REDIRECTS} times.")


def _route_for_log(url: str, query: Mapping[str, str]) -> str:
    """``/path`` or ``?rest_route=...`` for a log line: no host, no other query values."""
    route = query.get("rest_route")
    return f"?rest_route={route}" if route else urlsplit(url).path


def decode(response: requests.Response) -> Reply:
    """The JSON body of ``response`` (or ``None``), without ever logging it."""
    content_type = response.headers.get("Content-Type", "")
    data: Any = None
    is_json = False
    head = ""
    if response.content:
        try:
            data = response.json()
            is_json = True
        except ValueError:
            head = response.content[:2048].decode("utf-8", errors="replace")
    elif "json" in content_type or response.status_code == 204:
        is_json = True
    return Reply(response.status_code, response.headers, response.url or "", data, is_json, head)


class WPClient:
    """Authenticated REST calls to one WordPress site, built from its API root."""

    def __init__(
        self,
        api_root: ApiRoot | str,
        *,
        user_agent: str,
        credentials: Credentials | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        retries: int = 2,
        transport: Transport | None = None,
    ) -> None:
        self.api_root = api_root if isinstance(api_root, ApiRoot) else ApiRoot.from_url(api_root)
        require_secure(self.api_root.url)
        self.transport = transport or Transport(
            user_agent=user_agent, timeout=timeout, session=session, retries=retries
        )
        self.credentials = credentials
        self.used_method_override = False

    def __enter__(self) -> WPClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    @property
    def requests_sent(self) -> int:
        return self.transport.sent

    def with_credentials(self, credentials: Credentials | None) -> WPClient:
        """Another client for the same site (same session) with other credentials."""
        clone = WPClient(self.api_root, user_agent="-", credentials=credentials, transport=self.transport)
        return clone

    # -- the one request path ----------------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        route: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        expect: tuple[int, ...] = (200,),
        authenticated: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        url, query = self.api_root.route(route, dict(params or {}))
        credentials = self.credentials if authenticated else None
        response = self.transport.send(
            method, url, params=query, json_body=body, headers=headers, credentials=credentials
        )
        reply = decode(response)
        if reply.status in expect and reply.is_json:
            return reply
        self._raise_for(reply, method=method.upper(), route=route, credentialed=credentials is not None)
        raise AssertionError("unreachable")  # pragma: no cover

    def put(self, route: str, *, body: Any, params: Mapping[str, str] | None = None) -> Reply:
        """PUT; if a firewall or ModSecurity refuses the method, POST with ``X-HTTP-Method-Override: PUT``."""
        try:
            return self.call("PUT", route, params=params, body=body)
        except errors.FirewallBlockedError as exc:
            if exc.status not in (403, 405, 406, 501):
                raise
            log.debug("PUT %s refused (%s); retrying as POST with X-HTTP-Method-Override", route, exc.status)
        self.used_method_override = True
        try:
            return self.call("POST", route, params=params, body=body, headers={"X-HTTP-Method-Override": "PUT"})
        except errors.FirewallBlockedError as exc:
            raise errors.MethodBlockedError(
                "A firewall in front of the site refused the settings update, both as PUT and as POST with "
                "X-HTTP-Method-Override; WordPress never saw it.",
                hint="Allow PUT/POST with JSON bodies to /wp-json/wc/v3/payment_gateways/ for the 'mpesa-agent' "
                "User-Agent in the firewall (Cloudflare WAF, ModSecurity, Sucuri), then push again.",
                status=exc.status,
            ) from None

    # -- error mapping -----------------------------------------------------------------------------------------------

    # A flat table of WordPress/WooCommerce error codes, one branch each: splitting it would hide the mapping.
    def _raise_for(self, reply: Reply, *, method: str, route: str, credentialed: bool) -> None:  # noqa: C901
        site = self.api_root.site_origin
        status, code = reply.status, reply.code
        if not reply.is_json or (reply.status >= 400 and code is None):
            raise _non_json_error(reply, site=site, method=method, route=route)
        if reply.status < 400:
            raise errors.UnexpectedResponseError(
                f"{site} answered {method} {route} with HTTP {status}, which was not expected.", status=status
            )
        assert code is not None
        if code == "incorrect_password":
            raise errors.WrongPasswordError(
                f"{site} refused the application password for user '{self._user()}'.",
                hint="Check the user name, or create a new application password (Users -> Profile -> Application "
                "Passwords) and link the site again. The login password does not work here.",
                status=status,
                code=code,
            )
        if code in ("invalid_username", "invalid_email"):
            raise errors.UnknownUserError(
                f"{site} has no user '{self._user()}'.",
                hint="Use the WordPress login name (or e-mail) of an Administrator or Shop manager.",
                status=status,
                code=code,
            )
        if code in ("application_passwords_disabled", "application_passwords_disabled_for_user"):
            raise _app_passwords_unavailable(site, for_user=code.endswith("_for_user"), status=status, code=code)
        if code == "rest_not_logged_in" and credentialed:
            raise self._diagnose_not_logged_in(status=status)
        if code in ("woocommerce_rest_cannot_view", "woocommerce_rest_cannot_edit", "woocommerce_rest_cannot_list"):
            if status == 401 and credentialed:
                # WooCommerce answers a refused password with its own code; users/me gives the precise reason.
                self.me()
            raise errors.MissingCapabilityError(
                f"User '{self._user()}' may not manage WooCommerce on {site} (it lacks the manage_woocommerce "
                "capability)."
                if credentialed
                else f"{site} wants credentials to read the payment gateways.",
                hint="Use an application password of an Administrator or Shop manager.",
                status=status,
                code=code,
            )
        if code == "woocommerce_rest_payment_gateway_invalid":
            raise errors.GatewayPluginMissingError(
                f"WooCommerce on {site} has no payment gateway '{route.rsplit('/', 1)[-1]}'.",
                hint="Install and activate 'M-Pesa for WooCommerce' (Osen Concepts, osen-wc-mpesa) in wp-admin -> "
                "Plugins, then try again.",
                status=status,
                code=code,
            )
        if code == "rest_no_route":
            if route.lstrip("/").startswith("wc/"):
                raise errors.WooCommerceMissingError(
                    f"{site} has no WooCommerce REST API (no route {route}).",
                    hint="Install and activate WooCommerce, then the M-PESA plugin, and try again.",
                    status=status,
                    code=code,
                )
            raise errors.UnexpectedResponseError(
                f"{site} has no REST route {route} (WordPress too old, or a plugin removed it).",
                hint="Update WordPress (application passwords need 5.6 or newer).",
                status=status,
                code=code,
            )
        if code in (
            "rest_setting_value_invalid",
            "rest_invalid_param",
            "rest_invalid_json",
            "rest_missing_callback_param",
        ):
            params = ""
            data = reply.data.get("data") if isinstance(reply.data, dict) else None
            if isinstance(data, dict) and isinstance(data.get("params"), dict):
                params = " (" + ", ".join(sorted(str(k) for k in data["params"])) + ")"
            raise errors.ValueRejectedError(
                f"WooCommerce on {site} refused the update: {code}{params}; nothing was saved.",
                hint="The plugin's settings differ from what the agent expects; run 'mpesa-agent push --dry-run' "
                "and report the plugin version.",
                status=status,
                code=code,
            )
        if code == "application_password_duplicate_name":
            raise errors.DuplicateAppPasswordNameError(
                f"{site} already has an application password with that name.",
                hint="Try again in a minute (the name carries a timestamp) or delete the old one in Users -> Profile.",
                status=status,
                code=code,
            )
        if code in ("rest_application_password_not_found", "rest_no_authenticated_app_password"):
            raise errors.AppPasswordNotFoundError(
                f"{site} has no such application password (any more).",
                hint="Nothing to remove; 'mpesa-agent sites list' shows what is linked.",
                status=status,
                code=code,
            )
        if status in (401, 403):
            if code.startswith(("rest_forbidden", "rest_cannot", "rest_user_cannot")) and credentialed:
                raise errors.MissingCapabilityError(
                    f"User '{self._user()}' is not allowed to do this on {site} ({code}).",
                    hint="Use an application password of an Administrator or Shop manager.",
                    status=status,
                    code=code,
                )
            raise errors.RESTAccessBlockedError(
                f"{site} refused the REST request with '{code}' (HTTP {status}); a security or REST-lockdown plugin "
                "is probably in the way.",
                hint="Allow /wp-json/wp/v2/users/me and /wp-json/wc/v3/payment_gateways for this user in the "
                "security plugin (All-In-One WP Security, Force Login, Disable REST API, ...), then try again.",
                status=status,
                code=code,
            )
        if status >= 500:
            raise errors.SiteServerError(
                f"{site} failed with HTTP {status} ({code}).",
                hint="Look at the site's PHP error log, then try again.",
                status=status,
                code=code,
            )
        raise errors.UnexpectedResponseError(
            f"{site} answered {method} {route} with HTTP {status} ({code}).", status=status, code=code
        )

    def _user(self) -> str:
        return self.credentials.username if self.credentials else "(none)"

    def _diagnose_not_logged_in(self, *, status: int) -> errors.WPBridgeError:
        """``rest_not_logged_in`` although credentials were sent: read the index WITHOUT credentials.

        The probe carries no credentials, so it can never count as a failed login (no lock-out). If the index no
        longer advertises application passwords, the feature is off; otherwise the credentials did not reach
        WordPress (a stripped Authorization header) or, on some WordPress versions, were refused.
        """
        site = self.api_root.site_origin
        try:
            index = self.index()
        except errors.WPBridgeError:
            index = {}
        if "application-passwords" not in _auth_methods(index):
            return _app_passwords_unavailable(site, for_user=False, status=status, code="rest_not_logged_in")
        return errors.AuthorizationHeaderStrippedError(
            f"{site} answered as if no credentials had been sent (rest_not_logged_in), although application "
            f"passwords are enabled. Either the web server strips the Authorization header before WordPress sees it, "
            f"or (some WordPress versions answer so) the password or user name '{self._user()}' is wrong.",
            hint=HEADER_FIX_HINT,
            status=status,
            code="rest_not_logged_in",
        )

    # -- endpoints ---------------------------------------------------------------------------------------------------

    def index(self) -> dict[str, Any]:
        """The REST index (name, url, home, namespaces, authentication), read without credentials."""
        reply = self.call("GET", "/", params={"_fields": INDEX_FIELDS}, authenticated=False)
        if not isinstance(reply.data, dict) or "namespaces" not in reply.data:
            raise errors.NotWordPressError(
                f"{self.api_root.url} is not a WordPress REST API index.",
                hint="Link the site again (mpesa-agent link-site URL --force).",
            )
        return reply.data

    def me(self) -> UserInfo:
        """``/wp/v2/users/me?context=edit``: who the application password belongs to, and what it may do."""
        reply = self.call(
            "GET", "/wp/v2/users/me", params={"context": "edit", "_fields": "id,username,name,roles,capabilities"}
        )
        return UserInfo.from_json(reply.data)


@dataclasses.dataclass(frozen=True)
class UserInfo:
    """The authenticated user (no secrets)."""

    id: int
    username: str
    name: str
    roles: tuple[str, ...]
    capabilities: frozenset[str]

    @property
    def can_manage_woocommerce(self) -> bool:
        return "manage_woocommerce" in self.capabilities

    @classmethod
    def from_json(cls, data: Any) -> UserInfo:
        if not isinstance(data, dict) or "id" not in data:
            raise errors.UnexpectedResponseError("The site's answer for the current user has no user id.")
        caps = data.get("capabilities") or {}
        granted = frozenset(str(k) for k, v in caps.items() if v) if isinstance(caps, dict) else frozenset()
        roles = tuple(str(r) for r in data.get("roles") or ())
        return cls(int(data["id"]), str(data.get("username") or ""), str(data.get("name") or ""), roles, granted)


def _auth_methods(index: Mapping[str, Any]) -> set[str]:
    auth = index.get("authentication")
    return set(auth) if isinstance(auth, dict) else set()


def _app_passwords_unavailable(
    site: str, *, for_user: bool, status: int | None, code: str | None
) -> errors.WPBridgeError:
    if for_user:
        return errors.AppPasswordsUnavailableError(
            f"Application passwords are switched off for this user on {site}.",
            hint="Use another Administrator or Shop manager, or change the setting of the plugin that blocks them.",
            status=status,
            code=code,
        )
    secure = site.startswith("https://")
    return errors.AppPasswordsUnavailableError(
        f"Application passwords are not available on {site}"
        + ("" if secure else " (it is served over plain http, and WordPress allows them only over HTTPS)")
        + ", so the agent cannot sign in.",
        hint=APP_PASSWORDS_HINT,
        status=status,
        code=code,
    )


_WAF_HEADERS = ("cf-mitigated", "x-sucuri-id", "x-sucuri-block", "x-wordfence-blocked", "x-mod-security")


def _non_json_error(reply: Reply, *, site: str, method: str, route: str) -> errors.WPBridgeError:
    status = reply.status
    server = reply.headers.get("Server", "").lower()
    looks_html = bool(re.search(r"<(!doctype|html|head|body|title)", reply.text_head, re.IGNORECASE))
    waf = any(h in reply.headers for h in _WAF_HEADERS) or "cloudflare" in server or "sucuri" in server
    if status == 501 or status == 405:
        return errors.FirewallBlockedError(
            f"{site} refused the {method} method (HTTP {status}) before WordPress saw the request.",
            hint="A web-server rule (ModSecurity) blocks the method; the agent retries with POST where it can.",
            status=status,
        )
    if waf or (looks_html and status in (403, 406, 429, 503)):
        challenge = " (a Cloudflare challenge)" if "cf-mitigated" in reply.headers else ""
        return errors.FirewallBlockedError(
            f"A firewall or CDN in front of {site} answered instead of WordPress{challenge}: HTTP {status} with a "
            "web page, not the REST API.",
            hint="Add a firewall/WAF skip rule for /wp-json/ (and ?rest_route=) and the 'mpesa-agent' User-Agent "
            "(Cloudflare: Security -> WAF -> custom rules; Bot Fight Mode challenges scripts), then try again.",
            status=status,
        )
    if status == 404 or (status == 200 and looks_html):
        return errors.NotWordPressError(
            f"{site} answered {route} with a web page, not the WordPress REST API (HTTP {status}).",
            hint="Link the site again (mpesa-agent link-site URL --force); if it persists, check permalinks in "
            "wp-admin -> Settings -> Permalinks.",
            status=status,
        )
    if status >= 500:
        return errors.SiteServerError(
            f"{site} failed with HTTP {status}.",
            hint="Look at the site's PHP error log (a fatal error in a plugin?), then try again.",
            status=status,
        )
    return errors.UnexpectedResponseError(
        f"{site} answered {method} {route} with HTTP {status} and a body that is not JSON "
        "(PHP warnings printed before the answer?).",
        hint="Set WP_DEBUG_DISPLAY to false on the site, then try again.",
        status=status,
    )


# -- discovery ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SiteInfo:
    """What discovery found (no secrets)."""

    site_url: str
    api_root: ApiRoot
    name: str
    namespaces: tuple[str, ...]
    authentication: tuple[str, ...]
    authorization_url: str | None

    @property
    def woocommerce(self) -> bool:
        return "wc/v3" in self.namespaces

    @property
    def app_passwords_available(self) -> bool:
        return "application-passwords" in self.authentication

    def to_dict(self) -> dict[str, Any]:
        return {
            "site_url": self.site_url,
            "api_root": self.api_root.url,
            "url_style": self.api_root.style,
            "name": self.name,
            "woocommerce": self.woocommerce,
            "app_passwords_available": self.app_passwords_available,
            "authorization_url": self.authorization_url,
            "namespaces": list(self.namespaces),
        }


_LINK_TAG = re.compile(r"<link\b[^>]*\brel=[\"']https://api\.w\.org/[\"'][^>]*>", re.IGNORECASE)
_HREF = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.IGNORECASE)


def _api_link(response: requests.Response, *, html: str = "") -> str | None:
    link = response.links.get(API_REL)
    if link and link.get("url"):
        return str(urljoin(response.url, str(link["url"])))
    tag = _LINK_TAG.search(html)
    if tag:
        href = _HREF.search(tag.group(0))
        if href:
            return str(urljoin(response.url, href.group(1).replace("&amp;", "&")))
    return None


def discover(
    url: str,
    *,
    user_agent: str,
    timeout: Timeout = DEFAULT_TIMEOUT,
    session: requests.Session | None = None,
    transport: Transport | None = None,
) -> SiteInfo:
    """Find the REST API of the site at ``url`` and read its index (no credentials are sent)."""
    site = normalize_site_url(url)
    require_secure(site)
    transport = transport or Transport(user_agent=user_agent, timeout=timeout, session=session)
    final_url = site
    candidates: list[str] = []
    for method in ("HEAD", "GET"):
        try:
            response = transport.send(method, site + "/", follow_to_other_hosts=True)
        except (errors.SiteUnreachableError, errors.InsecureTransportError):
            raise
        except errors.WPBridgeError:
            continue
        final_url = response.url or final_url
        html = response.text[:200_000] if method == "GET" and "html" in response.headers.get("Content-Type", "") else ""
        link = _api_link(response, html=html)
        if link:
            candidates.append(link)
            break
    base = normalize_site_url(final_url)
    candidates += [base + "/wp-json/", base + "/?rest_route=/"]
    last: errors.WPBridgeError | None = None
    seen: set[str] = set()
    for candidate in candidates:
        if candidate in seen:
            continue
        seen.add(candidate)
        try:
            root = ApiRoot.from_url(_upgrade(candidate, base))
            index = WPClient(root, user_agent=user_agent, transport=transport).index()
        except (errors.SiteUnreachableError, errors.InsecureTransportError):
            raise
        except errors.WPBridgeError as exc:
            last = exc
            continue
        return _site_info(index, root, base)
    if isinstance(last, errors.FirewallBlockedError):
        raise last
    raise errors.NotWordPressError(
        f"No WordPress REST API was found at {site}.",
        hint="Check the address (the shop's home page), and that the REST API is not disabled by a plugin.",
    )


def _upgrade(candidate: str, base: str) -> str:
    """An API link on the same host given as http while we reached the site over https: use https."""
    a, b = urlsplit(candidate), urlsplit(base)
    if a.scheme == "http" and b.scheme == "https" and a.hostname == b.hostname:
        return "https" + candidate[4:]
    return candidate


def _site_info(index: Mapping[str, Any], root: ApiRoot, base: str) -> SiteInfo:
    home = index.get("home") or index.get("url")
    site_url = base
    if isinstance(home, str) and home:
        try:
            candidate = normalize_site_url(_upgrade(home, base))
            require_secure(candidate)
            site_url = candidate
        except errors.WPBridgeError:
            site_url = base
    auth = index.get("authentication")
    authentication = tuple(sorted(auth)) if isinstance(auth, dict) else ()
    authorization_url = None
    if isinstance(auth, dict):
        endpoint = (auth.get("application-passwords") or {}).get("endpoints", {}).get("authorization")
        authorization_url = str(endpoint) if endpoint else None
    namespaces = tuple(str(n) for n in index.get("namespaces") or ())
    return SiteInfo(site_url, root, str(index.get("name") or ""), namespaces, authentication, authorization_url)
