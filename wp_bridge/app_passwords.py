"""WordPress application passwords: verify, the authorize-application URL, create, introspect, list, delete.

The agent's passwords are named ``mpesa-agent (<hostname>) <UTC timestamp>`` (unique, so no 409 duplicate-name)
and carry a constant ``app_id`` (UUIDv5 of the site URL, ``wp_bridge.urls.app_id_for``), so the owner can see and
revoke them under Users -> Profile. Rotation of the application password itself is: ``create`` (with the current
one), the caller stores the new one, ``introspect`` with the new one, then ``delete`` the old UUID.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
from typing import Any
from urllib.parse import urlencode, urlsplit

from wp_bridge import errors
from wp_bridge.client import APP_PASSWORDS_HINT, UserInfo, WPClient

APP_NAME = "mpesa-agent"
ROUTE = "/wp/v2/users/me/application-passwords"
ITEM_FIELDS = "uuid,app_id,name,created,last_used,last_ip"


@dataclasses.dataclass(frozen=True)
class AppPasswordInfo:
    """An application password's public record (never the password)."""

    uuid: str
    app_id: str
    name: str
    created: str
    last_used: str | None
    last_ip: str | None

    @classmethod
    def from_json(cls, data: Any) -> AppPasswordInfo:
        if not isinstance(data, dict) or not data.get("uuid"):
            raise errors.UnexpectedResponseError("The site's answer about an application password has no uuid.")
        return cls(
            str(data["uuid"]),
            str(data.get("app_id") or ""),
            str(data.get("name") or ""),
            str(data.get("created") or ""),
            data.get("last_used"),
            data.get("last_ip"),
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class NewAppPassword:
    """A freshly created application password: WordPress shows ``password`` once, here."""

    info: AppPasswordInfo
    password: str = dataclasses.field(repr=False)


def app_password_name(hostname: str | None = None, now: dt.datetime | None = None) -> str:
    """``mpesa-agent (<this computer>) <UTC timestamp>``."""
    host = (hostname or socket.gethostname() or "computer").split(".")[0][:40]
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{APP_NAME} ({host}) {stamp}"


def authorize_url(authorization_endpoint: str, *, app_id: str, app_name: str | None = None) -> str:
    """The ``authorize-application.php`` URL to open in a browser: fixed ``app_id``, no ``success_url``.

    Without a success URL WordPress shows the new password on the page for the owner to paste (works with every
    WordPress version and environment; a loopback callback is refused before WordPress 7.0 in production).
    """
    parts = urlsplit(authorization_endpoint)
    if parts.scheme not in ("http", "https"):
        raise errors.InvalidSiteURLError("The site advertises an invalid authorization address.")
    query = urlencode({"app_name": app_name or app_password_name(), "app_id": app_id})
    separator = "&" if parts.query else "?"
    return authorization_endpoint + separator + query


def verify(client: WPClient, *, require_manage_woocommerce: bool = True) -> UserInfo:
    """Check the credentials (``users/me?context=edit``) and, by default, the ``manage_woocommerce`` capability."""
    user = client.me()
    if require_manage_woocommerce and not user.can_manage_woocommerce:
        roles = ", ".join(user.roles) or "no role"
        raise errors.MissingCapabilityError(
            f"User '{user.username}' ({roles}) may not manage WooCommerce on {client.api_root.site_origin}.",
            hint="Use an application password of an Administrator or Shop manager (they have manage_woocommerce).",
            code="manage_woocommerce",
        )
    return user


def create(client: WPClient, *, app_id: str, name: str | None = None) -> NewAppPassword:
    """Create a new application password for the authenticated user (never retried: a POST)."""
    reply = client.call(
        "POST",
        ROUTE,
        body={"name": name or app_password_name(), "app_id": app_id},
        params={"_fields": ITEM_FIELDS + ",password"},
        expect=(200, 201),
    )
    data = reply.data if isinstance(reply.data, dict) else {}
    password = data.get("password")
    if not isinstance(password, str) or not password:
        raise errors.UnexpectedResponseError(
            "The site created an application password but did not return it.",
            hint="Delete the new entry under Users -> Profile -> Application Passwords and try again.",
        )
    return NewAppPassword(AppPasswordInfo.from_json(data), password)


def introspect(client: WPClient) -> AppPasswordInfo:
    """The application password this client authenticates with (WordPress 5.7+)."""
    reply = client.call("GET", ROUTE + "/introspect", params={"_fields": ITEM_FIELDS})
    return AppPasswordInfo.from_json(reply.data)


def list_all(client: WPClient) -> list[AppPasswordInfo]:
    reply = client.call("GET", ROUTE, params={"_fields": ITEM_FIELDS})
    return [AppPasswordInfo.from_json(item) for item in reply.data or []]


def delete(client: WPClient, uuid: str) -> None:
    """Revoke the application password ``uuid`` of the authenticated user."""
    if not uuid or "/" in uuid:
        raise ValueError("a UUID is required")
    reply = client.call("DELETE", f"{ROUTE}/{uuid}", params={"_fields": "deleted"})
    if not (isinstance(reply.data, dict) and reply.data.get("deleted")):
        raise errors.UnexpectedResponseError("The site did not confirm that the application password was deleted.")


__all__ = [
    "APP_NAME",
    "APP_PASSWORDS_HINT",
    "AppPasswordInfo",
    "NewAppPassword",
    "app_password_name",
    "authorize_url",
    "create",
    "delete",
    "introspect",
    "list_all",
    "verify",
]
