"""Answers of WordPress/WooCommerce as recorded in ../shared/reference/wordpress-woocommerce.md (§3.2, §3.4, §4.3,
§4.4, §6), for the ``responses``-based unit tests. Hosts are ``shop.example`` as in the reference."""

from __future__ import annotations

import copy
from typing import Any

SITE = "https://shop.example"
API = SITE + "/wp-json/"
GATEWAY_URL = API + "wc/v3/payment_gateways/mpesa"
ME_URL = API + "wp/v2/users/me"
APP_PASSWORDS_URL = API + "wp/v2/users/me/application-passwords"

INDEX: dict[str, Any] = {
    "name": "Mama Mboga Online",
    "url": SITE,
    "home": SITE,
    "namespaces": ["oembed/1.0", "wc/v3", "wc/v2", "wp/v2", "wp-site-health/v1"],
    "authentication": {
        "application-passwords": {"endpoints": {"authorization": SITE + "/wp-admin/authorize-application.php"}}
    },
}
INDEX_NO_APP_PASSWORDS: dict[str, Any] = {**INDEX, "authentication": []}
INDEX_NO_WC: dict[str, Any] = {**INDEX, "namespaces": ["oembed/1.0", "wp/v2"]}


def error(code: str, message: str, status: int, **data: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "data": {"status": status, **data}}


ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "woocommerce_rest_cannot_view_401": (
        401,
        error("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.", 401),
    ),
    "woocommerce_rest_cannot_view_403": (
        403,
        error("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.", 403),
    ),
    "woocommerce_rest_cannot_edit_403": (
        403,
        error("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.", 403),
    ),
    "woocommerce_rest_payment_gateway_invalid": (
        404,
        error("woocommerce_rest_payment_gateway_invalid", "Resource does not exist.", 404),
    ),
    "rest_setting_value_invalid": (
        400,
        error("rest_setting_value_invalid", "An invalid setting value was passed.", 400),
    ),
    "rest_invalid_param": (
        400,
        error("rest_invalid_param", "Invalid parameter(s): enabled", 400, params={"enabled": "not boolean"}),
    ),
    "rest_invalid_json": (400, error("rest_invalid_json", "Invalid JSON body passed.", 400)),
    "incorrect_password": (
        401,
        error("incorrect_password", "The provided password is an invalid application password.", 401),
    ),
    "invalid_username": (
        401,
        error(
            "invalid_username", "<strong>Error:</strong> Unknown username. Check again or try your email address.", 401
        ),
    ),
    "invalid_email": (401, error("invalid_email", "<strong>Error:</strong> Unknown email address.", 401)),
    "rest_not_logged_in": (401, error("rest_not_logged_in", "You are not currently logged in.", 401)),
    "application_passwords_disabled": (
        501,
        error("application_passwords_disabled", "Application passwords are not available.", 501),
    ),
    "application_passwords_disabled_for_user": (
        501,
        error(
            "application_passwords_disabled_for_user", "Application passwords are not available for your account.", 501
        ),
    ),
    "application_password_duplicate_name": (
        409,
        error("application_password_duplicate_name", "Each application name should be unique.", 409),
    ),
    "application_password_empty_name": (
        400,
        error("application_password_empty_name", "An application name is required.", 400),
    ),
    "rest_no_authenticated_app_password": (
        404,
        error("rest_no_authenticated_app_password", "Cannot introspect application password.", 404),
    ),
    "rest_application_password_not_found": (
        404,
        error("rest_application_password_not_found", "Application password not found.", 404),
    ),
    "rest_no_route": (404, error("rest_no_route", "No route was found matching the URL and request method.", 404)),
}


def _setting(key: str, label: str, ftype: str, value: Any, default: Any = "", **extra: Any) -> dict[str, Any]:
    return {
        "id": key,
        "label": label,
        "description": extra.pop("description", ""),
        "type": ftype,
        "value": value,
        "default": default,
        "tip": "",
        "placeholder": extra.pop("placeholder", ""),
        **extra,
    }


STATUSES = {
    "wc-pending": "Pending payment",
    "wc-processing": "Processing",
    "wc-on-hold": "On hold",
    "wc-completed": "Completed",
    "wc-cancelled": "Cancelled",
    "wc-refunded": "Refunded",
    "wc-failed": "Failed",
    "wc-checkout-draft": "Draft",
}

_OSEN_SETTINGS: dict[str, dict[str, Any]] = {
    s["id"]: s
    for s in [
        _setting("title", "Method Title", "text", "Lipa Na M-Pesa", "Lipa Na M-Pesa"),
        _setting("env", "Environment", "select", "sandbox", "", options={"sandbox": "Sandbox", "live": "Live"}),
        _setting("idtype", "Identifier Type", "select", "", "", options={"4": "Paybill Number", "2": "Till Number"}),
        _setting("headoffice", "Store Number", "text", 174379, 174379),
        _setting("shortcode", "Business Shortcode", "text", 174379, 174379),
        _setting("key", "App Consumer Key", "text", "9v38Dtu5u2BpsITPmLcXNWGMsjZRWSTG"),
        _setting("secret", "App Consumer Secret", "text", "bclwIPkcRqw61yUt"),
        _setting(
            "passkey", "Online Passkey", "text", "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
        ),
        _setting("reference", "Account Reference", "text", ""),
        _setting("signature", "Encryption Signature", "password", "0f2a5c1e0d0d4b8e9a5f7e3c2b1a0f9e"),
        _setting("resend", "Resend STK Button Text", "text", "Resend STK Push"),
        _setting("instructions", "Instructions", "textarea", ""),
        _setting(
            "completion",
            "Order Status on Payment",
            "select",
            "",
            options={"completed": "Completed", "on-hold": "On hold", "processing": "Processing"},
        ),
        _setting("enable_for_methods", "Enable for shipping methods", "multiselect", "", options={"flat_rate": "Flat"}),
        _setting("enable_for_virtual", "Accept for virtual orders", "checkbox", "yes", "yes"),
        _setting("debug", "Debug Mode", "checkbox", "no", "no"),
        _setting("debug_title", "Callback URLs", "title", ""),
        _setting("c2b_section", "Manual Payments", "title", ""),
        _setting("enable_c2b", "Manual Payments", "checkbox", "no", "no"),
        _setting("enable_bonga", "Bonga Points", "checkbox", "no", "no"),
        _setting("reversal_section", "Reversals", "title", ""),
        _setting("enable_reversal", "Enable Reversals", "checkbox", "no", "no"),
        _setting("initiator", "Initiator Username", "text", "test", "test"),
        _setting("password", "Initiator Password", "password", ""),
        _setting("statuses", "Order Statuses", "multiselect", "", placeholder="Select statuses", options=STATUSES),
    ]
}


def osen_gateway(**values: Any) -> dict[str, Any]:
    """GET /wc/v3/payment_gateways/mpesa on a fresh Osen install (reference §3.4), with ``values`` overridden."""
    enabled = values.pop("enabled", True)
    settings = copy.deepcopy(_OSEN_SETTINGS)
    for key, value in values.items():
        settings[key]["value"] = value
    return {
        "id": "mpesa",
        "title": "Lipa Na M-Pesa",
        "description": "Cross-check your details before pressing the button below.",
        "order": "",
        "enabled": enabled,
        "method_title": "Lipa Na M-Pesa",
        "method_description": "This plugin comes preconfigured so you can test it out of the box.",
        "method_supports": ["products"],
        "settings": settings,
    }


def gateway_with_keys(gateway_id: str, keys: list[str]) -> dict[str, Any]:
    """A gateway of another plugin: only the key set matters for fingerprinting."""
    return {
        "id": gateway_id,
        "title": gateway_id,
        "enabled": False,
        "method_title": gateway_id,
        "settings": {k: _setting(k, k, "text", "") for k in keys},
    }


DAVISONPRO_KEYS = [
    "title", "env_section", "env", "idtype", "api_section", "shortcode", "key", "secret", "passkey", "signature",
    "advanced_section", "completion_status", "enable_c2b", "enable_reversal", "debug", "currency_section",
    "auto_exchange_rates", "exchange_rates",
]  # fmt: skip
DEMKITECH_KEYS = ["title", "instructions", "mer", "credentials_endpoint", "payments_endpoint", "passkey",
                  "consumer_key", "consumer_secret", "shortcode"]  # fmt: skip
CLONE_KEYS = ["env", "idtype", "headoffice", "shortcode", "key", "secret", "passkey", "account", "accountant",
              "completion"]  # fmt: skip
JOSEPH_AKARO_KEYS = ["title", "testmode", "consumer_key", "consumer_secret", "shortcode", "passkey"]
VODACOM_KEYS = ["api_key", "public_key", "service_provider", "initiator_identifier", "security_credential"]
TK_KEYS = ["testmode", "title", "customer_key", "customer_pass", "pass_key", "payment_type", "short_code", "pay_to",
           "callback_url"]  # fmt: skip
