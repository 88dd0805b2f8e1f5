"""Exceptions raised by wp_bridge.

Each says what happened and, in ``hint``, what the shop owner can do. ``kind`` lets the agent's error boundary
pick an exit status without wp_bridge knowing about it: ``"auth"`` (credentials refused), ``"verify"`` (read-back
differs) or ``"site"`` (anything else about the site or plugin). Messages never contain secrets or response bodies
that may echo secrets. ``status`` and ``code`` (the HTTP status and WordPress error code, when there was an answer)
are kept for callers and tests; neither is ever secret.
"""

from __future__ import annotations


class WPBridgeError(Exception):
    """Base of every wp_bridge failure."""

    kind = "site"
    default_hint = (
        "Try again; if it keeps failing, open the site in a browser, and report the WordPress, WooCommerce and "
        "M-PESA plugin versions."
    )

    def __init__(
        self, message: str, *, hint: str | None = None, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return self.message


# -- the site address and the transport ---------------------------------------------------------------------------


class InvalidSiteURLError(WPBridgeError):
    """The site address is not a usable http(s) URL (bad input: the agent exits 2, not 7)."""

    kind = "usage"

    default_hint = "Give the shop's address as shown in the browser, e.g. https://shop.example"


class InsecureTransportError(WPBridgeError):
    """The site would be reached over plain http (only loopback addresses may use http)."""


class SiteUnreachableError(WPBridgeError):
    """No answer: DNS, connection refused, timeout."""


class TLSVerificationError(SiteUnreachableError):
    """The site's HTTPS certificate could not be verified (verification is never switched off)."""


class RedirectRefusedError(WPBridgeError):
    """The site redirected a request where following it would send credentials elsewhere (or change a write)."""

    default_hint = "Link the site again with its final address (open it in a browser and copy the address)."


class NotWordPressError(WPBridgeError):
    """No WordPress REST API was found at the address."""


class FirewallBlockedError(WPBridgeError):
    """A firewall, CDN challenge or security layer answered instead of WordPress (an HTML or non-JSON reply)."""


class MethodBlockedError(FirewallBlockedError):
    """Both PUT and POST with ``X-HTTP-Method-Override: PUT`` were refused before WordPress saw them."""


class SiteServerError(WPBridgeError):
    """The site answered with a server error (5xx)."""


class UnexpectedResponseError(WPBridgeError):
    """An answer wp_bridge does not understand."""


# -- credentials and permissions ----------------------------------------------------------------------------------


class AuthenticationError(WPBridgeError):
    """Base of the failures where the site did not accept who we are, or what we may do."""

    kind = "auth"


class WrongPasswordError(AuthenticationError):
    """WordPress says the application password is not valid for this user (``incorrect_password``)."""


class UnknownUserError(AuthenticationError):
    """WordPress has no user with that login name or e-mail (``invalid_username``/``invalid_email``)."""


class AuthorizationHeaderStrippedError(AuthenticationError):
    """Credentials were sent but WordPress answered as if none had arrived (``rest_not_logged_in``).

    Diagnosed by reading the REST index without credentials (a probe that cannot count as a failed login, so it
    cannot trigger a security plugin's lock-out): application passwords are advertised, so the feature is on and
    the ``Authorization`` header most probably never reached PHP.
    """


class AppPasswordsUnavailableError(AuthenticationError):
    """Application passwords are switched off: not HTTPS (and not a ``local`` site), or a security plugin."""


class MissingCapabilityError(AuthenticationError):
    """The user is logged in but may not manage WooCommerce (``manage_woocommerce``)."""


class RESTAccessBlockedError(AuthenticationError):
    """A security or "disable REST API" plugin refused the request with its own error."""


# -- WooCommerce and the M-PESA plugin -----------------------------------------------------------------------------


class WooCommerceMissingError(WPBridgeError):
    """The site has no ``wc/v3`` REST namespace: WooCommerce is not installed or not active."""


class GatewayPluginMissingError(WPBridgeError):
    """WooCommerce has no payment gateway with the M-PESA id: the plugin is not installed or not active."""


class UnsupportedPluginError(WPBridgeError):
    """The gateway belongs to a plugin we cannot write to (unknown schema, or known but lacking a field)."""

    def __init__(self, message: str, *, plugin: str, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.plugin = plugin
        self.reason = reason


class UnsafeValueError(WPBridgeError):
    """A value would be changed by WordPress's REST sanitising (kses), so it is not sent at all."""


class ValueRejectedError(WPBridgeError):
    """WooCommerce refused a setting value (400 ``rest_setting_value_invalid``/``rest_invalid_param``)."""


class DuplicateAppPasswordNameError(WPBridgeError):
    """An application password with that name exists already (409 ``application_password_duplicate_name``)."""


class AppPasswordNotFoundError(WPBridgeError):
    """The application password (by UUID) does not exist (any more) on the site."""


# -- verification -------------------------------------------------------------------------------------------------


class ReadBackMismatchError(WPBridgeError):
    """After a write, the site holds something other than what was sent."""

    kind = "verify"

    def __init__(self, message: str, *, keys: list[str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.keys = keys
