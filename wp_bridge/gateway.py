"""Reading and writing a WooCommerce payment gateway's settings: plan, push, read back, restore.

``push_settings`` is the whole write path for one site, in three requests in the normal case:

1. ``GET /wc/v3/payment_gateways/<id>``: the current settings. They identify the plugin (fingerprint, see
   ``wp_bridge.plugins``) and become the rollback ``GatewaySnapshot`` returned to the caller (it holds secrets: the
   caller keeps it in the vault, never on disk in clear);
2. ``PUT`` (or POST + ``X-HTTP-Method-Override: PUT`` when a firewall blocks PUT) of only the keys that change, with
   WooCommerce's types: checkbox strings ``"yes"``/``"no"``, select option keys, the top-level ``enabled`` as a JSON
   boolean; ``_fields=id`` keeps the secrets WooCommerce echoes out of the reply;
3. ``GET`` with ``_fields=enabled,settings.<key>.value,...`` and an in-memory, constant-time comparison of what was
   stored with what was meant.

Values that WordPress's REST sanitising would change (``& < > \\``, edge whitespace: ``wp_bridge.kses``) are refused
before anything is sent. ``dry_run`` stops after step 1 and returns the plan, whose ``to_dict()`` redacts secrets.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from wp_bridge import errors, kses
from wp_bridge.client import WPClient
from wp_bridge.plugins import FieldSpec, PluginAdapter, known_other_gateways, require_supported, settings_fingerprint

MASK = "********"
GATEWAY_ROUTE = "/wc/v3/payment_gateways/{}"
STATE_FIELDS = "id,title,enabled,method_title,settings"


@dataclasses.dataclass(frozen=True)
class SettingState:
    """One entry of the gateway's ``settings`` object as read (the value may be a secret)."""

    key: str
    type: str
    label: str
    value: Any = dataclasses.field(repr=False)
    options: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class GatewayState:
    """A gateway as read from WooCommerce."""

    gateway_id: str
    enabled: bool
    title: str
    method_title: str
    settings: Mapping[str, SettingState] = dataclasses.field(repr=False)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self.settings)

    @property
    def fingerprint(self) -> str:
        return settings_fingerprint(self.settings)

    def values(self) -> dict[str, Any]:
        return {key: setting.value for key, setting in self.settings.items()}

    @classmethod
    def from_json(cls, data: Any) -> GatewayState:
        if not isinstance(data, dict) or not isinstance(data.get("settings"), dict | list):
            raise errors.UnexpectedResponseError("The payment gateway answer has no settings object.")
        raw = data["settings"] if isinstance(data["settings"], dict) else {}  # PHP encodes an empty array as []
        settings: dict[str, SettingState] = {}
        for key, entry in raw.items():
            if not isinstance(entry, dict):
                continue
            options = entry.get("options")
            option_keys = tuple(str(k) for k in options) if isinstance(options, dict) else None
            settings[str(key)] = SettingState(
                str(key),
                str(entry.get("type") or "text"),
                str(entry.get("label") or key),
                entry.get("value"),
                option_keys,
            )
        return cls(
            str(data.get("id") or ""),
            bool(data.get("enabled")),
            str(data.get("title") or ""),
            str(data.get("method_title") or ""),
            settings,
        )


@dataclasses.dataclass(frozen=True)
class GatewaySnapshot:
    """The gateway's settings before a push: what a rollback restores. Holds secrets: keep it in the vault."""

    site_url: str
    gateway_id: str
    plugin_id: str
    fingerprint: str
    taken_at: str
    enabled: bool
    values: Mapping[str, Any] = dataclasses.field(repr=False)
    changed_keys: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "site_url": self.site_url,
                "gateway_id": self.gateway_id,
                "plugin_id": self.plugin_id,
                "fingerprint": self.fingerprint,
                "taken_at": self.taken_at,
                "enabled": self.enabled,
                "values": dict(self.values),
                "changed_keys": list(self.changed_keys),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> GatewaySnapshot:
        try:
            data = json.loads(text)
            return cls(
                str(data["site_url"]),
                str(data["gateway_id"]),
                str(data["plugin_id"]),
                str(data["fingerprint"]),
                str(data["taken_at"]),
                bool(data["enabled"]),
                dict(data["values"]),
                tuple(str(k) for k in data.get("changed_keys", [])),
            )
        except (ValueError, KeyError, TypeError):
            raise errors.WPBridgeError(
                "The stored settings snapshot is damaged and cannot be used for a rollback.",
                hint="Check the plugin settings in wp-admin by hand.",
            ) from None


@dataclasses.dataclass(frozen=True)
class PlannedChange:
    """One setting that a push changes. ``to_dict()`` is safe to print (secrets masked)."""

    field: str
    key: str
    label: str
    secret: bool
    before: Any = dataclasses.field(repr=False)
    after: Any = dataclasses.field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "key": self.key,
            "label": self.label,
            "secret": self.secret,
            "before": _shown(self.before, self.secret),
            "after": _shown(self.after, self.secret),
        }


def _shown(value: Any, secret: bool) -> Any:
    if secret:
        return MASK if value not in (None, "") else ""
    return value


@dataclasses.dataclass(frozen=True)
class PushPlan:
    """What a push changes on one site (no secret shown by ``to_dict``)."""

    site_url: str
    gateway_id: str
    plugin_id: str
    plugin_name: str
    fingerprint: str
    changes: tuple[PlannedChange, ...]
    enabled_before: bool
    enabled_after: bool | None = None

    @property
    def nothing_to_do(self) -> bool:
        return not self.changes and (self.enabled_after is None or self.enabled_after == self.enabled_before)

    def to_dict(self) -> dict[str, Any]:
        return {
            "site_url": self.site_url,
            "gateway_id": self.gateway_id,
            "plugin": self.plugin_id,
            "plugin_name": self.plugin_name,
            "fingerprint": self.fingerprint,
            "changes": [c.to_dict() for c in self.changes],
            "enabled_before": self.enabled_before,
            "enabled_after": self.enabled_after,
        }


@dataclasses.dataclass(frozen=True)
class PushResult:
    """The outcome for one site. ``applied``: a write was sent; ``verified``: the read-back matched."""

    plan: PushPlan
    snapshot: GatewaySnapshot
    applied: bool
    verified: bool
    dry_run: bool
    method_override: bool
    requests: int

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.plan.to_dict(),
            "applied": self.applied,
            "verified": self.verified,
            "dry_run": self.dry_run,
            "method_override": self.method_override,
            "requests": self.requests,
        }


# -- reading ------------------------------------------------------------------------------------------------------


def read_gateway(client: WPClient, gateway_id: str = "mpesa") -> GatewayState:
    """GET the gateway (one request); a missing gateway is explained, naming other M-PESA plugins found."""
    try:
        reply = client.call("GET", GATEWAY_ROUTE.format(gateway_id), params={"_fields": STATE_FIELDS})
    except errors.GatewayPluginMissingError as exc:
        raise _explain_missing(client, gateway_id, exc) from None
    return GatewayState.from_json(reply.data)


def list_gateways(client: WPClient) -> list[dict[str, Any]]:
    """The site's payment gateways: id, title, method_title, enabled (no settings, so no secrets)."""
    reply = client.call("GET", "/wc/v3/payment_gateways", params={"_fields": "id,title,method_title,enabled"})
    return [g for g in reply.data if isinstance(g, dict)] if isinstance(reply.data, list) else []


def _explain_missing(client: WPClient, gateway_id: str, exc: errors.GatewayPluginMissingError) -> errors.WPBridgeError:
    try:
        ids = [str(g.get("id")) for g in list_gateways(client)]
    except errors.WPBridgeError:
        return exc
    others = known_other_gateways(ids)
    if others:
        names = "; ".join(f"{a.name} ('{a.gateway_id}'): {a.reason}" for a in others)
        return errors.UnsupportedPluginError(
            f"The site has no '{gateway_id}' gateway, only M-PESA plugins the agent cannot set up: {names}.",
            plugin=others[0].name,
            reason=others[0].reason,
            hint="Install and activate 'M-Pesa for WooCommerce' by Osen Concepts (osen-wc-mpesa).",
        )
    return exc


# -- encoding and comparing ---------------------------------------------------------------------------------------


def check_transportable(label: str, value: str) -> None:
    """Refuse a text value that WordPress's REST sanitising would store changed (nothing is sent)."""
    problems = kses.mangled_characters(value)
    if problems:
        described = "; ".join(f"'{_printable(ch)}' {reason}" for ch, reason in problems[:5])
        raise errors.UnsafeValueError(
            f"The {label} cannot be sent through WordPress's REST API unchanged: {described}. Nothing was sent.",
            hint="Use a value of letters, digits and # $ % only (for the API operator: change its password in the "
            "portal, e.g. mpesa-agent rotate), or set it on the server with "
            "'wp option patch update woocommerce_mpesa_settings <key>', which does not sanitise.",
        )


def _printable(ch: str) -> str:
    return {" ": "space", "\t": "tab", "\n": "newline", "\r": "carriage return"}.get(
        ch, ch if ch.isprintable() else repr(ch)
    )


def _encode(spec: FieldSpec, value: Any, setting: SettingState | None, label: str) -> Any:
    """The value to send for ``spec`` (WooCommerce's types), checked against the site's options."""
    if setting is not None and spec.type in ("select", "checkbox", "multiselect") and setting.type != spec.type:
        raise errors.UnsupportedPluginError(
            f"The plugin's '{spec.key}' setting is a {setting.type} field, not a {spec.type}: its schema changed.",
            plugin="changed schema",
            reason=f"'{spec.key}' changed type",
            hint="Update mpesa-agent, or report the plugin version.",
        )
    if spec.type in ("text", "password"):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise TypeError(f"{spec.name} takes a str")
        text = str(value)
        check_transportable(label, text)
        return text
    if spec.type == "checkbox":
        if isinstance(value, bool):
            return "yes" if value else "no"
        if value in ("yes", "no"):
            return value
        raise TypeError(f"{spec.name} takes a bool")
    if spec.type == "select":
        key = spec.choices.get(str(value), value) if spec.choices else value
        options = setting.options if setting is not None else None
        if options is not None and str(key) not in options:
            raise errors.ValueRejectedError(
                f"The plugin offers {', '.join(options)} for {label}, not '{key}'; nothing was sent.",
                hint="Update mpesa-agent, or report the plugin version.",
            )
        return key
    if spec.type == "multiselect":
        members = [str(v) for v in (value or [])]
        options = setting.options if setting is not None else None
        unknown = [m for m in members if options is not None and m not in options]
        if unknown:
            raise errors.ValueRejectedError(
                f"The plugin does not offer {', '.join(unknown)} for {label}; nothing was sent.",
                hint="Choose among: " + ", ".join(options or ()),
            )
        return members
    raise TypeError(f"unknown field type {spec.type}")  # pragma: no cover - parse_adapters checks the types


def expected_readback(spec_type: str, sent: Any) -> Any:
    """What a GET returns after ``sent`` was stored (WooCommerce reads values with PHP's ``empty()``)."""
    if spec_type == "multiselect":
        return list(sent) if sent else ""
    if sent in ("", "0", 0, None, False, []):
        return ""
    return sent


def _canonical(value: Any) -> str:
    if isinstance(value, list):
        return json.dumps([str(v) for v in value])
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same_value(stored: Any, meant: Any) -> bool:
    """Compare in constant time (secrets), in memory only; 4 and "4" are the same option key."""
    return hmac.compare_digest(_canonical(stored).encode(), _canonical(meant).encode())


# -- the push -----------------------------------------------------------------------------------------------------


def push_settings(
    client: WPClient,
    values: Mapping[str, Any],
    *,
    site_url: str,
    enabled: bool | None = None,
    gateway_id: str = "mpesa",
    adapters: Iterable[PluginAdapter] | None = None,
    dry_run: bool = False,
    before_write: Callable[[GatewaySnapshot], None] | None = None,
) -> PushResult:
    """Set the plugin's logical fields ``values`` (e.g. ``{"initiator_username": ..., "initiator_password": ...}``).

    Raises before any write for an unsupported plugin or a value the REST path would mangle; raises
    ``ReadBackMismatchError`` if what was stored differs from what was meant. ``before_write`` gets the rollback
    snapshot after the read and before the write (store it there: a crash after the PUT then still has it); if it
    raises, nothing is written.
    """
    adapter_list = tuple(adapters) if adapters is not None else None
    for name, value in values.items():  # refuse mangling values before even reading the site
        if isinstance(value, str):
            check_transportable(name.replace("_", " "), value)
    start = client.requests_sent
    state = read_gateway(client, gateway_id)
    adapter = require_supported(gateway_id, state.keys, adapter_list, site=site_url)
    desired: list[tuple[FieldSpec, Any]] = []
    for name, value in values.items():
        spec = adapter.field(name)
        if spec.key not in state.settings:
            raise errors.UnsupportedPluginError(
                f"{adapter.name} on {site_url} has no '{spec.key}' setting any more; nothing was written.",
                plugin=adapter.name,
                reason=f"no '{spec.key}' setting",
                hint="Update the plugin (or mpesa-agent), then push again.",
            )
        label = f"{state.settings[spec.key].label} ({spec.key})"
        desired.append((spec, _encode(spec, value, state.settings[spec.key], label)))
    return _apply(
        client,
        state,
        adapter,
        desired,
        enabled=enabled,
        site_url=site_url,
        dry_run=dry_run,
        start=start,
        before_write=before_write,
    )


def restore_snapshot(
    client: WPClient,
    snapshot: GatewaySnapshot,
    *,
    keys: Iterable[str] | None = None,
    adapters: Iterable[PluginAdapter] | None = None,
    dry_run: bool = False,
    before_write: Callable[[GatewaySnapshot], None] | None = None,
) -> PushResult:
    """Put back the snapshot's values of ``keys`` (default: the keys the push that took it changed)."""
    start = client.requests_sent
    state = read_gateway(client, snapshot.gateway_id)
    adapter = require_supported(snapshot.gateway_id, state.keys, adapters, site=snapshot.site_url)
    wanted = list(keys) if keys is not None else list(snapshot.changed_keys)
    by_key = {spec.key: spec for spec in adapter.fields.values()}
    desired: list[tuple[FieldSpec, Any]] = []
    for key in wanted:
        if key not in snapshot.values or key not in state.settings:
            continue
        setting = state.settings[key]
        spec = by_key.get(key) or FieldSpec(key, key, _generic_type(setting.type), secret=setting.type == "password")
        value = snapshot.values[key]
        if spec.type in ("text", "password"):
            value = "" if value is None else str(value)
        elif spec.type == "multiselect":
            value = value if isinstance(value, list) else []
        elif spec.type == "checkbox":
            value = "yes" if value in (True, "yes") else "no"
        elif spec.type == "select" and value in ("", None):
            continue  # never saved: there is no option to put back
        desired.append(
            (spec, _encode(dataclasses.replace(spec, choices=None), value, setting, f"{setting.label} ({key})"))
        )
    return _apply(
        client,
        state,
        adapter,
        desired,
        enabled=snapshot.enabled,
        site_url=snapshot.site_url,
        dry_run=dry_run,
        start=start,
        before_write=before_write,
    )


def _generic_type(wc_type: str) -> str:
    return wc_type if wc_type in ("select", "checkbox", "multiselect", "password") else "text"


def _apply(
    client: WPClient,
    state: GatewayState,
    adapter: PluginAdapter,
    desired: list[tuple[FieldSpec, Any]],
    *,
    enabled: bool | None,
    site_url: str,
    dry_run: bool,
    start: int,
    before_write: Callable[[GatewaySnapshot], None] | None = None,
) -> PushResult:
    changes: list[PlannedChange] = []
    body_settings: dict[str, Any] = {}
    for spec, sent in desired:
        setting = state.settings[spec.key]
        if same_value(setting.value, expected_readback(spec.type, sent)) and not isinstance(setting.value, bool):
            continue
        body_settings[spec.key] = sent
        changes.append(
            PlannedChange(
                spec.name, spec.key, setting.label, spec.secret or setting.type == "password", setting.value, sent
            )
        )
    plan = PushPlan(
        site_url, state.gateway_id, adapter.id, adapter.name, state.fingerprint, tuple(changes), state.enabled, enabled
    )
    snapshot = GatewaySnapshot(
        site_url,
        state.gateway_id,
        adapter.id,
        state.fingerprint,
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        state.enabled,
        state.values(),
        tuple(c.key for c in changes),
    )
    if dry_run or plan.nothing_to_do:
        return PushResult(plan, snapshot, False, not dry_run, dry_run, False, client.requests_sent - start)
    if before_write is not None:
        before_write(snapshot)
    route = GATEWAY_ROUTE.format(state.gateway_id)
    body: dict[str, Any] = {}
    if body_settings:
        body["settings"] = body_settings
    if enabled is not None and enabled != state.enabled:
        body["enabled"] = bool(enabled)
    client.used_method_override = False
    client.put(route, body=body, params={"_fields": "id"})
    fields = ["id", "enabled"] + [f"settings.{key}.value" for key in body_settings]
    reply = client.call("GET", route, params={"_fields": ",".join(fields)})
    stored_settings = reply.data.get("settings") if isinstance(reply.data, dict) else None
    stored_settings = stored_settings if isinstance(stored_settings, dict) else {}
    wrong: list[str] = []
    for spec, sent in desired:
        if spec.key not in body_settings:
            continue
        entry = stored_settings.get(spec.key)
        stored = entry.get("value") if isinstance(entry, dict) else None
        if entry is None or not same_value(stored, expected_readback(spec.type, sent)) or isinstance(stored, bool):
            wrong.append(spec.key)
    if "enabled" in body and bool(reply.data.get("enabled")) != body["enabled"]:
        wrong.append("enabled")
    if wrong:
        labels = ", ".join(wrong)
        raise errors.ReadBackMismatchError(
            f"After the update, {site_url} holds different values for: {labels} (what was stored is not what was "
            "sent).",
            keys=wrong,
            hint="A security plugin or a filter on the site changes settings on the way in. The previous values "
            "were kept for a rollback; check the plugin settings in wp-admin.",
        )
    return PushResult(plan, snapshot, True, True, False, client.used_method_override, client.requests_sent - start)
