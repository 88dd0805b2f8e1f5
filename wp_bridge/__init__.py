"""wp_bridge: a WordPress/WooCommerce REST client and M-PESA plugin adapters.

It never imports click, keyring or Playwright (nor the agent): credentials come in as arguments (plain ``str``,
never shown in a repr), results and errors go out as values and ``wp_bridge.errors`` exceptions, which the agent
translates in one place (``agent.workflows.edge``).

Modules: ``urls`` (site addresses, https-or-loopback, API roots), ``client`` (transport, discovery, error mapping),
``app_passwords`` (verify, authorize URL, create/introspect/delete), ``plugins`` (adapters from its own
``plugins.toml``, shipped as package data; fingerprinting), ``gateway`` (plan, push, read-back, snapshot, restore),
``kses`` (what the REST path does to text values), ``errors``. The names below are re-exported lazily (importing
wp_bridge is cheap).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ApiRoot": "urls",
    "app_id_for": "urls",
    "is_loopback_host": "urls",
    "normalize_site_url": "urls",
    "Credentials": "client",
    "SiteInfo": "client",
    "UserInfo": "client",
    "WPClient": "client",
    "discover": "client",
    "make_session": "client",
    "AppPasswordInfo": "app_passwords",
    "NewAppPassword": "app_passwords",
    "app_password_name": "app_passwords",
    "authorize_url": "app_passwords",
    "PluginAdapter": "plugins",
    "load_adapters": "plugins",
    "GatewaySnapshot": "gateway",
    "GatewayState": "gateway",
    "PushPlan": "gateway",
    "PushResult": "gateway",
    "push_settings": "gateway",
    "read_gateway": "gateway",
    "restore_snapshot": "gateway",
    "WPBridgeError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'wp_bridge' has no attribute {name!r}")
    return getattr(importlib.import_module(f"wp_bridge.{module}"), name)
