"""The sandbox shop: a WooCommerce-compatible stand-in for a WordPress site with an M-PESA gateway plugin.

Written from ``../shared/reference/wordpress-woocommerce.md`` §10 (never from wp_bridge's code), so the bridge is
tested against something it did not shape. ``state`` holds users, application passwords, gateway settings and
faults; ``gateways`` the plugins' settings schemas and WooCommerce's validators; ``app`` the Flask factory
(``create_app``), ``rest`` the REST routes, ``pages`` wp-login/authorize-application/Profile/WooCommerce settings,
``control`` the ``/__sim/`` control surface and ``inbox`` the readable ``/sandbox/`` pages (the portal's SMS and
captcha), both only in ``test``/``demo`` mode.

Here: the published sandbox-only login and the page paths (no leading slash), importable without Flask.
"""

from __future__ import annotations

ADMIN_LOGIN = "shopadmin"
ADMIN_LOGIN_PASSWORD = "Duka#2030"  # noqa: S105 - the documented sandbox shop password, not a secret

LOGIN_PATH = "wp-login.php"
PROFILE_PATH = "wp-admin/profile.php"
APP_PASSWORDS_PATH = PROFILE_PATH + "#application-passwords-section"
SETTINGS_PATH = "wp-admin/admin.php?page=wc-settings&tab=checkout"
SMS_PATH = "sandbox/sms"
CAPTCHA_PATH = "sandbox/captcha"


def gateway_settings_path(gateway_id: str) -> str:
    """The path of a gateway's WooCommerce settings page, e.g. for ``mpesa``."""
    return f"{SETTINGS_PATH}&section={gateway_id}"
