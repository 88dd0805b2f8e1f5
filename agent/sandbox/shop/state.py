"""The sandbox shop's state: WordPress users, application passwords, site settings, gateway options and faults.

Everything is in memory and guarded by one lock (the Flask dev server is threaded). Application passwords are kept
as SHA-256 digests, like WordPress keeps hashes; the plain value is returned once, by ``create_app_password``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import secrets
import string
import threading
import uuid
from typing import Any, Literal

from agent.sandbox.shop import ADMIN_LOGIN, ADMIN_LOGIN_PASSWORD, gateways

EnvironmentType = Literal["local", "development", "staging", "production"]
AuthErrorStyle = Literal["precise", "not_logged_in"]
FAULTS = ("strip_authorization", "block_put", "waf_challenge", "alter_on_save", "disable_app_passwords")

DEFAULT_ADMIN = ADMIN_LOGIN
DEFAULT_MANAGER = "shopmanager"  # a Shop manager: the least-privileged role that may manage WooCommerce
DEFAULT_CLERK = "clerk"  # an editor, without manage_woocommerce
# The admin's wp-login password unless a test gives another: published (README, `mpesa-agent sandbox`), sandbox-only.
DEFAULT_ADMIN_PASSWORD = ADMIN_LOGIN_PASSWORD

ADMIN_CAPS = frozenset(
    {"read", "manage_options", "edit_users", "list_users", "activate_plugins", "manage_woocommerce", "edit_posts"}
)
SHOP_MANAGER_CAPS = frozenset({"read", "manage_woocommerce", "edit_posts"})
EDITOR_CAPS = frozenset({"read", "edit_posts", "edit_others_posts", "publish_posts"})
ROLE_CAPS = {"administrator": ADMIN_CAPS, "shop_manager": SHOP_MANAGER_CAPS, "editor": EDITOR_CAPS}


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def generate_app_password() -> str:
    """24 characters of [A-Za-z0-9], like ``wp_generate_password(24, false)``."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


@dataclasses.dataclass
class AppPassword:
    uuid: str
    app_id: str
    name: str
    digest: str = dataclasses.field(repr=False)
    created: str
    last_used: str | None = None
    last_ip: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "app_id": self.app_id,
            "name": self.name,
            "created": self.created,
            "last_used": self.last_used,
            "last_ip": self.last_ip,
        }


@dataclasses.dataclass
class User:
    id: int
    login: str
    email: str
    role: str
    login_password: str = dataclasses.field(repr=False)
    app_passwords: list[AppPassword] = dataclasses.field(default_factory=list)

    @property
    def capabilities(self) -> frozenset[str]:
        return ROLE_CAPS.get(self.role, frozenset({"read"})) | {self.role}

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


@dataclasses.dataclass
class ShopState:
    """The whole shop. Change it under ``lock``."""

    name: str = "Mama Mboga Online (sandbox)"
    environment_type: EnvironmentType = "local"
    https: bool = False
    permalinks: Literal["pretty", "plain"] = "pretty"
    auth_error_style: AuthErrorStyle = "precise"
    plugin: str = "osen"
    woocommerce_active: bool = True
    users: dict[str, User] = dataclasses.field(default_factory=dict)
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    faults: dict[str, Any] = dataclasses.field(default_factory=dict)
    sessions: dict[str, str] = dataclasses.field(default_factory=dict)  # wp-admin cookie -> login
    lock: threading.RLock = dataclasses.field(default_factory=threading.RLock, repr=False)

    @classmethod
    def seeded(cls, *, admin_password: str | None = None) -> ShopState:
        """An admin (Administrator, may manage WooCommerce; wp-login password ``DEFAULT_ADMIN_PASSWORD`` unless
        ``admin_password`` is given) and a clerk (Editor, may not; a random password); Osen never saved."""
        state = cls()
        state.add_user(DEFAULT_ADMIN, "owner@shop.example", "administrator", admin_password or DEFAULT_ADMIN_PASSWORD)
        state.add_user(DEFAULT_CLERK, "clerk@shop.example", "editor", secrets.token_urlsafe(12))
        return state

    # -- users and application passwords ---------------------------------------------------------------------------

    def add_user(self, login: str, email: str, role: str, login_password: str) -> User:
        with self.lock:
            if role not in ROLE_CAPS:
                raise ValueError(f"unknown role {role}")
            user = User(len(self.users) + 1, login, email, role, login_password)
            self.users[login] = user
            return user

    def find_user(self, login_or_email: str) -> User | None:
        with self.lock:
            if login_or_email in self.users:
                return self.users[login_or_email]
            for user in self.users.values():
                if "@" in login_or_email and user.email.lower() == login_or_email.lower():
                    return user
            return None

    @property
    def app_passwords_available(self) -> bool:
        """``wp_is_application_passwords_available()``: HTTPS or a ``local`` environment, and no plugin filter."""
        if self.faults.get("disable_app_passwords"):
            return False
        return self.https or self.environment_type == "local"

    def create_app_password(self, user: User, name: str, app_id: str = "") -> tuple[str, AppPassword]:
        with self.lock:
            password = generate_app_password()
            item = AppPassword(str(uuid.uuid4()), app_id, name, _digest(password), _now())
            user.app_passwords.append(item)
            return password, item

    def check_app_password(self, user: User, password: str) -> AppPassword | None:
        """The item ``password`` belongs to (spaces and other non-alphanumerics are ignored, like WordPress)."""
        cleaned = re.sub(r"[^A-Za-z0-9]", "", password)
        digest = _digest(cleaned)
        with self.lock:
            for item in user.app_passwords:
                if hmac.compare_digest(item.digest, digest):
                    return item
        return None

    # -- gateways ----------------------------------------------------------------------------------------------------

    def gateway_table(self) -> dict[str, tuple[str, dict[str, gateways.Field]]]:
        return gateways.gateway_table(self.plugin)

    def gateway_settings(self, gateway_id: str) -> tuple[dict[str, Any], bool]:
        """(current settings, saved?): the stored option, or the defaults (materialised on the first save)."""
        with self.lock:
            _title, fields = self.gateway_table()[gateway_id]
            values = gateways.defaults(fields, self.plugin, gateway_id)
            saved = self.options.get(f"woocommerce_{gateway_id}_settings")
            if isinstance(saved, dict):
                values.update(saved)
                return values, True
            return values, False

    def save_gateway_settings(self, gateway_id: str, values: dict[str, Any]) -> None:
        with self.lock:
            self.options[f"woocommerce_{gateway_id}_settings"] = dict(values)

    def snapshot(self) -> dict[str, Any]:
        """The state for ``/__sim/state`` (no passwords)."""
        with self.lock:
            return {
                "name": self.name,
                "environment_type": self.environment_type,
                "https": self.https,
                "permalinks": self.permalinks,
                "auth_error_style": self.auth_error_style,
                "plugin": self.plugin,
                "woocommerce_active": self.woocommerce_active,
                "app_passwords_available": self.app_passwords_available,
                "faults": dict(self.faults),
                "users": [
                    {
                        "id": u.id,
                        "login": u.login,
                        "email": u.email,
                        "role": u.role,
                        "manage_woocommerce": u.can("manage_woocommerce"),
                        "app_passwords": [p.public() for p in u.app_passwords],
                    }
                    for u in self.users.values()
                ],
                "saved_gateways": sorted(k for k in self.options if k.startswith("woocommerce_")),
            }
