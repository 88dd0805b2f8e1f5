"""The go-live consistency rules: pure functions over the settings to push (or read back) and what the agent knows.

``check_go_live(facts)`` returns one ``Finding`` per rule, in a fixed order, each with an ``id``, a ``status``
(``ok`` | ``problem`` | ``warning`` | ``unknown``), the evidence and the fix. ``go-live`` refuses to write when any
finding is a ``problem`` (exit 5); ``doctor`` shows each as its own check. Evidence never holds a secret: the
consumer key, secret, passkey and initiator password are compared with Daraja's public sandbox values through
their SHA-256 fingerprints (``config/daraja.toml`` ``[public_sandbox]``) and only named, never shown.

The rules (``../shared/reference/daraja.md`` §5.2, ``wordpress-woocommerce.md`` §2.1):

* ``golive.credentials``         consumer key, secret and passkey are present;
* ``golive.environment``         the plugin's environment is the one asked for, and the one the keys were verified in;
* ``golive.short-code``          the organisation short code (paybill; a till's store number) is the profile's;
* ``golive.identifier-type``     the plugin's identifier type matches the payment type (paybill 4, till 2);
* ``golive.till-store-number``   a till has its store number in the store-number field, distinct from the till;
* ``golive.passkey``             the public sandbox passkey (it belongs to 174379) is not used for another short code;
* ``golive.sandbox-short-code``  production never uses Daraja's public sandbox short codes;
* ``golive.sandbox-credentials`` production never uses the public sandbox keys, passkey or initiator;
* ``golive.initiator``           the initiator in the plugin is this profile's, created under this short code.

``settings_from_osen`` decodes the Osen plugin's REST ``settings`` (flat values or ``{key: {"value": …}}``) into the
logical ``GoLiveSettings``; ``logical_values`` gives the values to push by the adapter's logical field names.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from agent.errors import VerificationError
from agent.golive.daraja import Environment, daraja_config
from agent.secret import MASK, Secret

Status = Literal["ok", "problem", "warning", "unknown"]
PaymentType = Literal["paybill", "till"]
PAYMENT_TYPES: tuple[PaymentType, ...] = ("paybill", "till")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One rule's outcome. ``fix`` says what to do (empty when ``ok``)."""

    id: str
    status: Status
    title: str
    evidence: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def problem(self) -> bool:
        return self.status == "problem"

    def as_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class GoLiveSettings:
    """The plugin's go-live settings by logical name (see ``config/daraja.toml`` ``[golive]``).

    ``environment`` is ``sandbox``/``production`` (or the raw value when the plugin holds something else);
    ``identifier_type`` is ``paybill``/``till``, ``None`` when never saved (Osen then reads it as Till).
    """

    environment: str | None = None
    identifier_type: str | None = None
    short_code: str | None = None
    store_number: str | None = None
    consumer_key: Secret | None = None
    consumer_secret: Secret | None = None
    passkey: Secret | None = None
    initiator_username: str | None = None
    initiator_password: Secret | None = None


@dataclasses.dataclass(frozen=True)
class GoLiveFacts:
    """Everything the rules look at.

    ``settings``              the values about to be pushed (go-live) or read back from the plugin (doctor);
    ``environment``           the environment the owner asked for;
    ``payment_type``          the owner's payment type; ``None`` = take it from ``settings.identifier_type``;
    ``profile_short_code``    the profile's organisation short code (a till owner's is the store number);
    ``verified_environment``  where an OAuth token was fetched with these keys; ``None`` = not checked (offline);
    ``initiator_short_code``  the organisation the profile's API operator was created in; ``None`` = unknown;
    ``expected_initiator``    the profile's API operator user name; ``None`` = unknown;
    ``source``                "plugin" (doctor: values read back) or "plan" (go-live: values about to be pushed),
                              only for the wording of the evidence.
    """

    settings: GoLiveSettings
    environment: Environment
    profile_short_code: str
    payment_type: PaymentType | None = None
    verified_environment: Environment | None = None
    initiator_short_code: str | None = None
    expected_initiator: str | None = None
    source: Literal["plugin", "plan"] = "plugin"


# ---------------------------------------------------------------------------------------------------------------
# public sandbox values


def fingerprint(value: str) -> str:
    """SHA-256 (hex) of the UTF-8 value, as kept in ``config/daraja.toml``."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _public() -> Mapping[str, Any]:
    public: Mapping[str, Any] = daraja_config()["public_sandbox"]
    return public


def is_public_sandbox_secret(kind: str, value: Secret | None) -> bool:
    """True when ``value`` is one of Daraja's public sandbox values of ``kind``.

    ``kind``: ``consumer_key``, ``consumer_secret``, ``passkey`` or ``initiator_password``.
    """
    if not value:
        return False
    known: Iterable[str] = _public().get(f"{kind}_sha256", [])
    return fingerprint(value.reveal().strip()) in set(known)


def is_public_sandbox_short_code(short_code: str | None) -> bool:
    return bool(short_code) and str(short_code).strip() in set(_public()["short_codes"])


def is_suspicious_short_code(short_code: str | None) -> bool:
    """In a range Daraja's sandbox hands out test short codes from (a real short code may be there too)."""
    code = str(short_code or "").strip()
    if not code.isdigit():
        return False
    return any(low <= int(code) <= high for low, high in _public().get("suspicious_short_code_ranges", []))


def is_public_sandbox_initiator(name: str | None) -> bool:
    return bool(name) and str(name).strip().casefold() in {n.casefold() for n in _public()["initiators"]}


# ---------------------------------------------------------------------------------------------------------------
# decoding the plugin's settings


def _value(raw: Mapping[str, Any], key: str) -> Any:
    entry = raw.get(key)
    if isinstance(entry, Mapping):
        return entry.get("value")
    return entry


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _secret(value: Any) -> Secret | None:
    if isinstance(value, Secret):
        return value if value else None
    text = _text(value)
    return Secret(text) if text else None


def settings_from_osen(raw: Mapping[str, Any]) -> GoLiveSettings:
    """Decode Osen's ``settings`` (REST objects or plain values) into ``GoLiveSettings``."""
    cfg = daraja_config()
    keys: Mapping[str, str] = cfg["golive"]["osen_keys"]
    env_values = {str(cfg["environment"][env]["plugin_value"]): env for env in cfg["environment"]}
    id_values = {str(code): name for name, code in cfg["golive"]["identifier_types"].items()}
    env_raw = _text(_value(raw, keys["environment"]))
    id_raw = _text(_value(raw, keys["identifier_type"]))
    return GoLiveSettings(
        environment=env_values.get(env_raw, env_raw) if env_raw else None,
        identifier_type=id_values.get(id_raw, id_raw) if id_raw and id_raw != "0" else None,
        short_code=_text(_value(raw, keys["short_code"])),
        store_number=_text(_value(raw, keys["store_number"])),
        consumer_key=_secret(_value(raw, keys["consumer_key"])),
        consumer_secret=_secret(_value(raw, keys["consumer_secret"])),
        passkey=_secret(_value(raw, keys["passkey"])),
        initiator_username=_text(_value(raw, keys["initiator_username"])),
        initiator_password=_secret(_value(raw, keys["initiator_password"])),
    )


def logical_values(settings: GoLiveSettings) -> dict[str, str | Secret]:
    """The set values by logical field name, for the plugin adapter's field map (``environment`` and
    ``identifier_type`` as logical choices: ``sandbox``/``production``, ``paybill``/``till``)."""
    out: dict[str, str | Secret] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if value is not None and value != "":
            out[field.name] = value
    return out


def planned_settings(
    *,
    environment: Environment,
    payment_type: PaymentType,
    short_code: str,
    consumer_key: Secret,
    consumer_secret: Secret,
    passkey: Secret,
    store_number: str | None = None,
    initiator_username: str | None = None,
    initiator_password: Secret | None = None,
) -> GoLiveSettings:
    """The settings go-live pushes. A paybill's store-number field gets the paybill (Osen overwrites it anyway)."""
    return GoLiveSettings(
        environment=environment,
        identifier_type=payment_type,
        short_code=short_code.strip(),
        store_number=(store_number or "").strip() if payment_type == "till" else short_code.strip(),
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        passkey=passkey,
        initiator_username=initiator_username,
        initiator_password=initiator_password,
    )


# ---------------------------------------------------------------------------------------------------------------
# the rules


def _business_short_code(settings: GoLiveSettings, payment_type: str | None) -> str | None:
    """The organisation short code: the paybill, or a till's store number (Osen's STK BusinessShortCode)."""
    return settings.store_number if payment_type == "till" else settings.short_code


def _credentials(facts: GoLiveFacts) -> Finding:
    s = facts.settings
    missing = [
        label
        for label, value in (
            ("consumer key", s.consumer_key),
            ("consumer secret", s.consumer_secret),
            ("passkey", s.passkey),
        )
        if not value
    ]
    if missing:
        return Finding(
            "golive.credentials",
            "problem",
            "Daraja app credentials",
            "The plugin has no " + ", no ".join(missing) + ".",
            "Run mpesa-agent go-live with the Consumer Key, Consumer Secret and passkey of the Daraja app.",
        )
    return Finding("golive.credentials", "ok", "Daraja app credentials", "Consumer key, secret and passkey are set.")


def _environment(facts: GoLiveFacts) -> Finding:
    title = "Environment"
    plugin_env = facts.settings.environment
    if plugin_env != facts.environment:
        shown = plugin_env or "not set"
        return Finding(
            "golive.environment",
            "problem",
            title,
            f"The plugin's environment is {shown}, but go-live is for {facts.environment}. With the wrong "
            "environment the plugin calls the other host and encrypts with the other certificate (Invalid Access "
            "Token, 2001 on every reversal).",
            f"Run mpesa-agent go-live for {facts.environment} again so the plugin's environment is set with the keys.",
        )
    if facts.verified_environment is None:
        return Finding(
            "golive.environment",
            "unknown",
            title,
            f"The plugin is set to {plugin_env}; the keys were not checked against Daraja (offline).",
            "Run the check online to fetch a token with these keys.",
        )
    if facts.verified_environment != facts.environment:
        return Finding(
            "golive.environment",
            "problem",
            title,
            f"The keys were verified in {facts.verified_environment}, but the plugin is set to {plugin_env}.",
            f"Use the keys of your {plugin_env} app, or choose {facts.verified_environment}.",
        )
    return Finding(
        "golive.environment",
        "ok",
        title,
        f"The plugin is set to {plugin_env}, where Daraja issued a token for these keys.",
    )


def _short_code(facts: GoLiveFacts, payment_type: str | None) -> Finding:
    title = "Short code"
    profile = facts.profile_short_code.strip()
    business = _business_short_code(facts.settings, payment_type)
    field = "store number" if payment_type == "till" else "business short code"
    if business != profile:
        return Finding(
            "golive.short-code",
            "problem",
            title,
            f"The plugin's {field} is {business or 'empty'}, but this profile's organisation short code is {profile}.",
            f"Run mpesa-agent go-live with the profile's short code {profile}"
            + (
                " as the store number (the till number goes in the short-code field)."
                if payment_type == "till"
                else "."
            ),
        )
    return Finding("golive.short-code", "ok", title, f"The plugin's {field} is the profile's short code {profile}.")


def _identifier_type(facts: GoLiveFacts, payment_type: str | None) -> Finding:
    title = "Identifier type"
    plugin = facts.settings.identifier_type
    if plugin is None:
        return Finding(
            "golive.identifier-type",
            "problem",
            title,
            "The plugin's identifier type was never saved; Osen then treats the shop as a Till.",
            "Run mpesa-agent go-live with the payment type (paybill, or till with its store number).",
        )
    if plugin not in PAYMENT_TYPES:
        return Finding(
            "golive.identifier-type",
            "problem",
            title,
            f"The plugin's identifier type is {plugin!r}, neither Paybill (4) nor Till (2).",
            "Run mpesa-agent go-live with the payment type (paybill, or till with its store number).",
        )
    if payment_type is not None and plugin != payment_type:
        return Finding(
            "golive.identifier-type",
            "problem",
            title,
            f"The plugin's identifier type is {plugin}, but the shop takes payments by {payment_type}.",
            f"Run mpesa-agent go-live with payment type {payment_type}.",
        )
    code = daraja_config()["golive"]["identifier_types"][plugin]
    return Finding("golive.identifier-type", "ok", title, f"The plugin's identifier type is {plugin} ({code}).")


def _till_store_number(facts: GoLiveFacts, payment_type: str | None) -> Finding:
    title = "Till and store number"
    s = facts.settings
    if payment_type != "till":
        return Finding(
            "golive.till-store-number", "ok", title, "A paybill: the plugin uses the paybill as the store number."
        )
    store, till = s.store_number or "", s.short_code or ""
    if not store.isdigit():
        return Finding(
            "golive.till-store-number",
            "problem",
            title,
            f"A till needs its store number in the store-number field; it holds {store or 'nothing'}.",
            "Run mpesa-agent go-live for the till with its store number (Head Office -> Store -> Till).",
        )
    if not till.isdigit():
        return Finding(
            "golive.till-store-number",
            "problem",
            title,
            f"A till needs the till number in the short-code field; it holds {till or 'nothing'}.",
            "Run mpesa-agent go-live for the till with its till number.",
        )
    if store == till:
        return Finding(
            "golive.till-store-number",
            "problem",
            title,
            f"The store number and the till number are both {till}: the till number sits where the store number "
            "belongs (STK then fails with 'The operator does not exist').",
            "Run mpesa-agent go-live with the store number (not the till number) as the store number.",
        )
    return Finding(
        "golive.till-store-number", "ok", title, f"Store number {store}, till number {till}, identifier type Till."
    )


def _passkey(facts: GoLiveFacts, payment_type: str | None) -> Finding:
    title = "Passkey"
    business = _business_short_code(facts.settings, payment_type)
    owner = str(_public()["passkey_short_code"])
    if is_public_sandbox_secret("passkey", facts.settings.passkey) and business != owner:
        return Finding(
            "golive.passkey",
            "problem",
            title,
            f"The passkey is Daraja's public sandbox passkey, which belongs to {owner}, not to {business or 'the shop'}"
            " (STK push fails with 'Wrong credentials').",
            "Run mpesa-agent go-live with the passkey Safaricom sent for this short code (ask "
            "apisupport@safaricom.co.ke if it never arrived).",
        )
    if not facts.settings.passkey:
        return Finding("golive.passkey", "problem", title, "The plugin has no passkey.", "Run mpesa-agent go-live.")
    return Finding("golive.passkey", "ok", title, "The passkey is not a public sandbox passkey of another short code.")


def _sandbox_short_code(facts: GoLiveFacts) -> Finding:
    title = "Sandbox short codes in production"
    s = facts.settings
    if facts.environment != "production":
        return Finding("golive.sandbox-short-code", "ok", title, "Sandbox: Daraja's test short codes are expected.")
    codes = [c for c in (s.short_code, s.store_number) if c]
    public = sorted({c for c in codes if is_public_sandbox_short_code(c)})
    if public:
        return Finding(
            "golive.sandbox-short-code",
            "problem",
            title,
            f"Production with Daraja's public sandbox short code {', '.join(public)}.",
            "Run mpesa-agent go-live with your own paybill or till (and store) number.",
        )
    odd = sorted({c for c in codes if is_suspicious_short_code(c)})
    if odd:
        return Finding(
            "golive.sandbox-short-code",
            "warning",
            title,
            f"{', '.join(odd)} is in the range Daraja's sandbox hands out test short codes from.",
            "Make sure this is your real paybill or till, not a test short code from the Daraja portal.",
        )
    return Finding("golive.sandbox-short-code", "ok", title, "No public sandbox short code.")


def _sandbox_credentials(facts: GoLiveFacts) -> Finding:
    title = "Sandbox credentials in production"
    s = facts.settings
    if facts.environment != "production":
        return Finding("golive.sandbox-credentials", "ok", title, "Sandbox: public sandbox credentials are allowed.")
    found = [
        label
        for label, kind, value in (
            ("consumer key", "consumer_key", s.consumer_key),
            ("consumer secret", "consumer_secret", s.consumer_secret),
            ("passkey", "passkey", s.passkey),
            ("initiator password", "initiator_password", s.initiator_password),
        )
        if is_public_sandbox_secret(kind, value)
    ]
    if is_public_sandbox_initiator(s.initiator_username):
        found.append(f"initiator name {s.initiator_username}")
    if found:
        return Finding(
            "golive.sandbox-credentials",
            "problem",
            title,
            "Production with Daraja's public sandbox " + ", ".join(found) + " (the plugin's defaults).",
            "Run mpesa-agent go-live with the production app's keys and passkey, and push your own API operator.",
        )
    return Finding("golive.sandbox-credentials", "ok", title, "No public sandbox credential.")


def _initiator(facts: GoLiveFacts) -> Finding:
    title = "Initiator"
    profile = facts.profile_short_code.strip()
    name = facts.settings.initiator_username
    if facts.expected_initiator is not None and name != facts.expected_initiator:
        return Finding(
            "golive.initiator",
            "problem",
            title,
            f"The plugin's initiator is {name or 'not set'}, not this profile's API operator "
            f"{facts.expected_initiator}.",
            "Run mpesa-agent push to put this profile's API operator into the plugin.",
        )
    if facts.initiator_short_code is None:
        return Finding(
            "golive.initiator",
            "unknown",
            title,
            f"The organisation of the initiator {name or '(not set)'} is not known to this profile.",
            "Set up the API operator with mpesa-agent for this short code, then push it.",
        )
    if facts.initiator_short_code.strip() != profile:
        return Finding(
            "golive.initiator",
            "problem",
            title,
            f"The initiator {name or ''} belongs to {facts.initiator_short_code}, not to {profile}.".replace("  ", " "),
            f"Create the API operator under {profile} and push it.",
        )
    return Finding("golive.initiator", "ok", title, f"The initiator {name or ''} belongs to {profile}.")


def check_go_live(facts: GoLiveFacts) -> list[Finding]:
    """Every rule's finding, in a fixed order (see the module docstring). Pure: no I/O besides the cached config."""
    payment_type: str | None = facts.payment_type or facts.settings.identifier_type
    findings = [
        _credentials(facts),
        _environment(facts),
        _short_code(facts, payment_type),
        _identifier_type(facts, payment_type if facts.payment_type else None),
        _till_store_number(facts, payment_type),
        _passkey(facts, payment_type),
        _sandbox_short_code(facts),
        _sandbox_credentials(facts),
        _initiator(facts),
    ]
    if facts.source == "plan":
        findings = [dataclasses.replace(f, evidence=_as_plan(f.evidence)) for f in findings]
    return findings


_PLAN_WORDING = (
    ("The plugin's ", "The planned "),
    ("The plugin has no ", "The plan has no "),
    ("The plugin is set to ", "The plan sets "),
    ("the plugin is set to ", "the plan sets "),
)


def _as_plan(evidence: str) -> str:
    for plugin, plan in _PLAN_WORDING:
        evidence = evidence.replace(plugin, plan)
    return evidence


def problems(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that must stop a go-live (exit 5)."""
    return [f for f in findings if f.problem]


class GoLiveInconsistencyError(VerificationError):
    """The settings to push contradict each other or the profile (exit 5); nothing was written."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = problems(findings)
        lines = "; ".join(f"{f.title}: {f.evidence}" for f in self.findings)
        super().__init__(
            f"Go-live stopped before writing anything ({len(self.findings)} inconsistent setting"
            f"{'s' if len(self.findings) != 1 else ''}): {lines}",
            hint=self.findings[0].fix if self.findings else None,
        )


def require_consistent(findings: Iterable[Finding]) -> list[Finding]:
    """The findings, unless one is a problem: then ``GoLiveInconsistencyError`` (exit 5) lists every problem."""
    found = list(findings)
    if problems(found):
        raise GoLiveInconsistencyError(found)
    return found


def masked_plan(settings: GoLiveSettings) -> dict[str, str]:
    """The settings by logical name for ``--dry-run``: every secret shown as the mask, unset values as "(not set)"."""
    secret_fields = set(daraja_config()["golive"]["secret_fields"])
    out: dict[str, str] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if value is None or value == "":
            out[field.name] = "(not set)"
        elif field.name in secret_fields or isinstance(value, Secret):
            out[field.name] = MASK
        else:
            out[field.name] = str(value)
    return out
