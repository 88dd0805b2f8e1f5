"""Payment gateway schemas (WooCommerce ``form_fields``) and WooCommerce's REST validators, for the sandbox shop.

Schemas: the Osen "M-Pesa for WooCommerce" plugin (gateway ``mpesa``, the 25 REST settings keys in their order),
the Davisonpro plugin (also ``mpesa``, no initiator field) and WooCommerce's own bacs/cheque/cod. Validators follow
``class-wc-rest-controller.php`` (reference §3.5): text-like types store ``wp_kses_post(trim(stripslashes(v)))``
(modelled by ``wp_bridge.kses``), select/radio need an option key, multiselect drops unknown members, checkbox is a
loose yes/no compare (JSON ``true`` passes and is stored as ``true``) with empty meaning the default.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from wp_bridge.kses import rest_text_roundtrip


class InvalidSetting(Exception):
    """400 rest_setting_value_invalid: the first bad value aborts the whole update."""


Field = dict[str, Any]

ORDER_STATUSES = {
    "wc-pending": "Pending payment",
    "wc-processing": "Processing",
    "wc-on-hold": "On hold",
    "wc-completed": "Completed",
    "wc-cancelled": "Cancelled",
    "wc-refunded": "Refunded",
    "wc-failed": "Failed",
    "wc-checkout-draft": "Draft",
}


def random_signature() -> str:
    """Osen's ``signature`` default: ``md5(rand())``, a new one on every read until the first save."""
    return hashlib.md5(secrets.token_bytes(8), usedforsecurity=False).hexdigest()


def osen_fields() -> dict[str, Field]:
    return {
        "enabled": {"title": "Enable/Disable", "type": "checkbox", "label": "Enable Lipa Na M-Pesa", "default": "yes"},
        "title": {
            "title": "Method Title",
            "type": "text",
            "description": "Payment method name that the customer will see on your checkout.",
            "default": "Lipa Na M-Pesa",
        },
        "env": {
            "title": "Environment",
            "type": "select",
            "description": "M-Pesa Environment",
            "options": {"sandbox": "Sandbox", "live": "Live"},
            "default": "",
        },
        "idtype": {"title": "Identifier Type", "type": "select", "options": {4: "Paybill Number", 2: "Till Number"}},
        "headoffice": {"title": "Store Number", "type": "text", "default": 174379},
        "shortcode": {"title": "Business Shortcode", "type": "text", "default": 174379},
        "key": {"title": "App Consumer Key", "type": "text", "default": "9v38Dtu5u2BpsITPmLcXNWGMsjZRWSTG"},
        "secret": {"title": "App Consumer Secret", "type": "text", "default": "bclwIPkcRqw61yUt"},
        "passkey": {
            "title": "Online Passkey",
            "type": "text",
            "default": "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
        },
        "reference": {"title": "Account Reference", "type": "text", "default": ""},
        "signature": {"title": "Encryption Signature", "type": "password", "default": None},  # random until saved
        "resend": {"title": "Resend STK Button Text", "type": "text", "default": "Resend STK Push"},
        "description": {
            "title": "Method Description",
            "type": "textarea",
            "default": "Cross-check your details before pressing the button below.",
        },
        "instructions": {"title": "Instructions", "type": "textarea", "default": ""},
        "completion": {
            "title": "Order Status on Payment",
            "type": "select",
            "options": {
                "completed": "Mark order as completed",
                "on-hold": "Mark order as on hold",
                "processing": "Mark order as processing",
            },
        },
        "enable_for_methods": {
            "title": "Enable for shipping methods",
            "type": "multiselect",
            "default": "",
            "options": {"flat_rate": "Flat rate", "local_pickup": "Local pickup"},
        },
        "enable_for_virtual": {"title": "Accept for virtual orders", "type": "checkbox", "default": "yes"},
        "debug": {"title": "Debug Mode", "type": "checkbox", "default": "no"},
        "debug_title": {"title": "Callback URLs", "type": "title"},
        "c2b_section": {"title": "Manual Payments", "type": "title"},
        "enable_c2b": {"title": "Manual Payments", "type": "checkbox", "default": "no"},
        "enable_bonga": {"title": "Bonga Points", "type": "checkbox", "default": "no"},
        "reversal_section": {"title": "Reversals", "type": "title"},
        "enable_reversal": {"title": "Enable Reversals", "type": "checkbox", "default": "no"},
        "initiator": {
            "title": "Initiator Username",
            "type": "text",
            "description": "Username for user with Reversal Role.",
            "default": "test",
        },
        "password": {
            "title": "Initiator Password",
            "type": "password",
            "description": "Password for user with Reversal Role.",
            "default": "",
        },
        "statuses": {
            "title": "Order Statuses",
            "type": "multiselect",
            "default": "",
            "placeholder": "Select statuses",
            "options": ORDER_STATUSES,
        },
    }


def davisonpro_fields() -> dict[str, Field]:
    return {
        "enabled": {"title": "Enable/Disable", "type": "checkbox", "default": "no"},
        "title": {"title": "Title", "type": "text", "default": "M-Pesa"},
        "description": {"title": "Description", "type": "textarea", "default": "Pay with M-Pesa"},
        "env_section": {"title": "Environment", "type": "title"},
        "env": {"title": "Environment", "type": "select", "options": {"sandbox": "Sandbox", "live": "Live"}},
        "idtype": {"title": "Identifier Type", "type": "select", "options": {4: "Paybill", 2: "Till"}, "default": 4},
        "api_section": {"title": "API", "type": "title"},
        "shortcode": {"title": "Shortcode", "type": "text", "default": ""},
        "key": {"title": "Consumer Key", "type": "text", "default": ""},
        "secret": {"title": "Consumer Secret", "type": "password", "default": ""},
        "passkey": {"title": "Passkey", "type": "text", "default": ""},
        "signature": {"title": "Signature", "type": "password", "default": "fixed-signature"},
        "advanced_section": {"title": "Advanced", "type": "title"},
        "completion_status": {
            "title": "Completion status",
            "type": "select",
            "options": {"processing": "Processing", "completed": "Completed"},
            "default": "processing",
        },
        "enable_c2b": {"title": "C2B", "type": "checkbox", "default": "no"},
        "enable_reversal": {"title": "Reversal", "type": "checkbox", "default": "no"},
        "debug": {"title": "Debug", "type": "checkbox", "default": "no"},
        "currency_section": {"title": "Currency", "type": "title"},
        "auto_exchange_rates": {"title": "Auto exchange rates", "type": "checkbox", "default": "no"},
        "exchange_rates": {"title": "Exchange rates", "type": "textarea", "default": ""},
    }


def simple_fields(title: str) -> dict[str, Field]:
    return {
        "enabled": {"title": "Enable/Disable", "type": "checkbox", "default": "no"},
        "title": {"title": "Title", "type": "text", "default": title},
        "description": {"title": "Description", "type": "textarea", "default": ""},
        "instructions": {"title": "Instructions", "type": "textarea", "default": ""},
    }


PLUGINS = ("osen", "davisonpro", "none")


def gateway_table(plugin: str) -> dict[str, tuple[str, dict[str, Field]]]:
    """id -> (method_title, form_fields) of the gateways active with ``plugin`` owning ``mpesa``."""
    table = {
        "bacs": ("Direct bank transfer", simple_fields("Direct bank transfer")),
        "cheque": ("Check payments", simple_fields("Check payments")),
        "cod": ("Cash on delivery", simple_fields("Cash on delivery")),
    }
    if plugin == "osen":
        table["mpesa"] = ("Lipa Na M-Pesa", osen_fields())
    elif plugin == "davisonpro":
        table["mpesa"] = ("M-Pesa", davisonpro_fields())
    return table


def defaults(fields: dict[str, Field], plugin: str, gateway_id: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, field in fields.items():
        default = field.get("default", "")
        values[key] = random_signature() if default is None else default
    if plugin == "osen" and gateway_id == "mpesa":
        values["env"] = "sandbox"  # Osen's set_default_options (its declared default reads "")
    return values


def _empty(value: Any) -> bool:
    """PHP's ``empty()``."""
    return value in (None, False, 0, 0.0, "", "0", [], {})


def _key_exists(value: Any, options: dict[Any, str]) -> bool:
    """PHP ``array_key_exists`` with int-like string keys equal to ints."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return False
    return any(str(key) == str(value) for key in options)


def _loose_in_yes_no(value: Any) -> bool:
    """PHP 8 loose ``in_array($value, ['yes', 'no'])``: true matches any non-empty string."""
    if value is True:
        return True
    return isinstance(value, str) and value in ("yes", "no")


def validate(value: Any, field: Field) -> Any:
    """The value WooCommerce stores for ``value`` (raises InvalidSetting for a 400)."""
    ftype = field.get("type", "text")
    if ftype in ("select", "radio"):
        if _key_exists(value, field.get("options", {})):
            return value
        raise InvalidSetting()
    if ftype == "multiselect":
        if _empty(value):
            return []
        if not isinstance(value, list):
            raise InvalidSetting()
        return [v for v in value if _key_exists(v, field.get("options", {}))]
    if ftype == "checkbox":
        if _loose_in_yes_no(value):
            return value
        if _empty(value):
            return field.get("default", "no")
        raise InvalidSetting()
    if isinstance(value, list | dict):
        raise InvalidSetting()
    text = "" if value is None else _php_string(value)
    return rest_text_roundtrip(text)


def _php_string(value: Any) -> str:
    if value is True:
        return "1"
    if value is False:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def rest_settings(fields: dict[str, Field], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The REST ``settings`` object (v3: title-type fields included; ``enabled``/``description`` left out)."""
    out: dict[str, dict[str, Any]] = {}
    for key, field in fields.items():
        if key in ("enabled", "description") or not field.get("title") or not field.get("type"):
            continue
        value = values.get(key)
        entry: dict[str, Any] = {
            "id": key,
            "label": field.get("label") or field["title"],
            "description": field.get("description", ""),
            "type": field["type"],
            "value": "" if _empty(value) else value,
            "default": "" if _empty(field.get("default")) else field.get("default"),
            "tip": field.get("description", ""),
            "placeholder": field.get("placeholder", ""),
        }
        if field.get("options"):
            entry["options"] = {str(k): v for k, v in field["options"].items()}
        out[key] = entry
    return out


# -- the settings page (what a person sees in wp-admin) -----------------------------------------------------------

SECRET_KEYS = frozenset({"key", "secret", "passkey", "password", "signature", "security_credential", "credential"})
MASK = "••••••••"


def is_secret(key: str, field: Field) -> bool:
    """Whether the settings page masks this field: password inputs and the keys that hold credentials."""
    lowered = key.lower()
    return (
        field.get("type") == "password"
        or lowered in SECRET_KEYS
        or any(word in lowered for word in ("password", "secret", "passkey", "credential"))
    )


def mask(value: Any) -> str:
    """A secret as the settings page shows it: dots and, for values of 8+ characters, the last 2 characters."""
    text = "" if _empty(value) else _php_string(value)
    if not text:
        return ""
    return MASK + (text[-2:] if len(text) >= 8 else "")


def display(value: Any, field: Field) -> str:
    """A stored value as text for the settings page (option labels for selects, yes/no for checkboxes)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    options = {str(k): v for k, v in (field.get("options") or {}).items()}
    if isinstance(value, list):
        return ", ".join(f"{options.get(str(v), v)} ({v})" for v in value)
    text = "" if value is None else _php_string(value)
    if options and text in options:
        return f"{options[text]} ({text})"
    return text
