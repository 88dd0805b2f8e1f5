"""M-PESA gateway plugin adapters, declared as data in ``wp_bridge/plugins.toml``.

How the table is found: callers may pass a parsed table (``load_adapters(table)``); without one, wp_bridge reads
its own ``plugins.toml``, shipped inside the package as package data (``importlib.resources``), so wp_bridge needs
nothing of the agent, not even its data package. Code lives here only where data cannot say it: identifying a plugin
by its settings fingerprint, and encoding/comparing values by field type.

A plugin is identified by the key set of its REST ``settings`` (several plugins share the id ``mpesa``); an
unknown key set, or a known plugin marked ``supported = false``, is refused by name with the reason.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.resources
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from wp_bridge.errors import UnsupportedPluginError

FIELD_TYPES = frozenset({"text", "password", "select", "checkbox", "multiselect"})
REQUIRED_FIELDS = ("initiator_username", "initiator_password")


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One logical setting of a plugin: where it lives and how it is typed."""

    name: str
    key: str
    type: str
    secret: bool = False
    choices: Mapping[str, Any] | None = None


@dataclasses.dataclass(frozen=True)
class PluginAdapter:
    """One known plugin: its identity, whether the agent may write to it, and its field map."""

    id: str
    name: str
    gateway_id: str
    supported: bool
    reason: str
    fingerprint_all: frozenset[str]
    fingerprint_none: frozenset[str]
    fields: Mapping[str, FieldSpec]
    password_encoding: str = "raw"  # noqa: S105 - an encoding name, not a password

    def matches(self, keys: Iterable[str]) -> bool:
        present = set(keys)
        return self.fingerprint_all <= present and not (self.fingerprint_none & present)

    def field(self, name: str) -> FieldSpec:
        try:
            return self.fields[name]
        except KeyError:
            raise UnsupportedPluginError(
                f"The agent cannot set '{name}' on {self.name}: the plugin has no such setting.",
                plugin=self.name,
                reason=f"no setting for {name}",
            ) from None

    def secret_keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self.fields.values() if f.secret)


def settings_fingerprint(keys: Iterable[str]) -> str:
    """A short, stable digest of a settings key set (stored with a link; changes when the plugin's schema does)."""
    joined = ",".join(sorted(set(keys)))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


@functools.cache
def _shipped_adapters() -> tuple[PluginAdapter, ...]:
    text = importlib.resources.files("wp_bridge").joinpath("plugins.toml").read_text(encoding="utf-8")
    return parse_adapters(tomllib.loads(text))


def load_adapters(table: Mapping[str, Any] | None = None) -> tuple[PluginAdapter, ...]:
    """The adapters from ``table`` (a parsed plugins.toml), or from the shipped ``plugins.toml``."""
    return _shipped_adapters() if table is None else parse_adapters(table)


def parse_adapters(table: Mapping[str, Any]) -> tuple[PluginAdapter, ...]:
    """Validate and build the adapters of a parsed plugins.toml (a broken file is a bug: ValueError)."""
    if table.get("schema_version") != 1:
        raise ValueError("plugins.toml: schema_version must be 1")
    adapters = []
    for entry in table.get("plugin", []):
        pid = str(entry["id"])
        fields: dict[str, FieldSpec] = {}
        for name, spec in (entry.get("fields") or {}).items():
            ftype = str(spec.get("type", "text"))
            if ftype not in FIELD_TYPES:
                raise ValueError(f"plugins.toml: {pid}.{name} has unknown type {ftype!r}")
            choices = spec.get("choices")
            if choices is not None and ftype != "select":
                raise ValueError(f"plugins.toml: {pid}.{name}: choices only make sense for a select")
            fields[name] = FieldSpec(name, str(spec["key"]), ftype, bool(spec.get("secret", False)), choices)
        fingerprint = entry.get("fingerprint") or {}
        adapter = PluginAdapter(
            id=pid,
            name=str(entry["name"]),
            gateway_id=str(entry["gateway_id"]),
            supported=bool(entry.get("supported", False)),
            reason=str(entry.get("reason", "")),
            fingerprint_all=frozenset(fingerprint.get("all", [])),
            fingerprint_none=frozenset(fingerprint.get("none", [])),
            fields=fields,
            password_encoding=str(entry.get("password_encoding", "raw")),
        )
        if not adapter.fingerprint_all:
            raise ValueError(f"plugins.toml: {pid} needs fingerprint.all")
        if adapter.supported:
            missing = [f for f in REQUIRED_FIELDS if f not in fields]
            if missing:
                raise ValueError(f"plugins.toml: supported plugin {pid} lacks {missing}")
            if adapter.password_encoding != "raw":  # noqa: S105
                raise ValueError(f"plugins.toml: {pid}: only password_encoding = 'raw' is implemented")
        elif not adapter.reason:
            raise ValueError(f"plugins.toml: unsupported plugin {pid} needs a reason")
        adapters.append(adapter)
    return tuple(adapters)


def identify(
    gateway_id: str, keys: Iterable[str], adapters: Iterable[PluginAdapter] | None = None
) -> PluginAdapter | None:
    """The adapter whose fingerprint matches this gateway's settings keys, or None for an unknown plugin."""
    key_set = set(keys)
    for adapter in adapters if adapters is not None else load_adapters():
        if adapter.gateway_id == gateway_id and adapter.matches(key_set):
            return adapter
    return None


def require_supported(
    gateway_id: str, keys: Iterable[str], adapters: Iterable[PluginAdapter] | None = None, *, site: str = "the site"
) -> PluginAdapter:
    """The matching adapter if the agent may write to it; otherwise UnsupportedPluginError naming plugin and reason."""
    key_set = set(keys)
    adapter = identify(gateway_id, key_set, adapters)
    if adapter is None:
        shown = ", ".join(sorted(key_set)[:30])
        raise UnsupportedPluginError(
            f"The '{gateway_id}' payment gateway on {site} belongs to a plugin the agent does not know (its settings "
            f"are: {shown}); nothing was written.",
            plugin="unknown",
            reason="unknown settings schema",
            hint="The agent supports 'M-Pesa for WooCommerce' by Osen Concepts (osen-wc-mpesa). Install it, or "
            "report the plugin's name and version so support can be added.",
        )
    if not adapter.supported:
        raise UnsupportedPluginError(
            f"The agent cannot set up {adapter.name} on {site}: {adapter.reason}. Nothing was written.",
            plugin=adapter.name,
            reason=adapter.reason,
            hint="Use 'M-Pesa for WooCommerce' by Osen Concepts (osen-wc-mpesa), which keeps the initiator name "
            "and password and encrypts the password itself.",
        )
    return adapter


def known_other_gateways(
    gateway_ids: Iterable[str], adapters: Iterable[PluginAdapter] | None = None
) -> list[PluginAdapter]:
    """Known M-PESA plugins with another gateway id (tk_mpesa, lipawoo, ...) among ``gateway_ids``."""
    ids = set(gateway_ids)
    found: dict[str, PluginAdapter] = {}
    for adapter in adapters if adapters is not None else load_adapters():
        if adapter.gateway_id in ids and adapter.gateway_id != "mpesa":
            found.setdefault(adapter.gateway_id, adapter)
    return list(found.values())
