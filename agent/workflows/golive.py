"""``mpesa-agent go-live``: the Daraja app's settings checked against Daraja, then pushed with the initiator.

What belongs here: the go-live workflow (``go_live``) and the doctor-facing checks (``golive_checks``). The Daraja
client, the pure consistency rules and the end-to-end initiator check live in ``agent.golive``; the WordPress write
path in ``wp_bridge.gateway`` (reached through ``agent.workflows.sites``' public helpers and ``site_errors``).

``go_live`` in order, writing nothing until every check passed:

1. the profile's API operator (user name, password from the vault) and the linked site;
2. the consistency rules over the planned settings (``agent.golive.rules``): a problem is exit 5, nothing written;
3. an OAuth token from the chosen environment with the consumer key and secret (dropped at once, never stored or
   logged): refused keys are exit 4 with the fix; Daraja unreachable is exit 10 (``DarajaUnavailableError``: "try
   again in a few minutes", nothing changed); then the rules again, now with the verified environment;
4. (not ``dry_run``) the consumer key, secret and passkey staged in the vault (``daraja_refs``: profile = the short
   code, name = the environment), the rollback snapshot stored, one verified GET-PUT-GET of all the go-live fields
   with the initiator through the plugin adapter's field map (one snapshot, so ``mpesa-agent rollback`` puts it all
   back), then the staged items promoted. A failed push discards them.

A profile may name ``daraja_url``, a loopback address only (the sandbox's mock Daraja); otherwise Safaricom's hosts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from agent.context import Context
from agent.errors import AgentError, ExitStatus, UsageError
from agent.golive import checks as golive_checks_lib
from agent.golive import rules
from agent.golive.daraja import (
    DEFAULT_TIMEOUT,
    Environment,
    Timeout,
    base_url_for,
    check_environment,
    verify_consumer_credentials,
)
from agent.golive.initiator import check_initiator
from agent.golive.rules import Finding, GoLiveFacts, GoLiveSettings, PaymentType
from agent.secret import Secret
from agent.settings import Profile
from agent.vault import CredentialRef
from agent.workflows import sites
from agent.workflows.edge import site_errors
from agent.workflows.site_results import SiteLink
from wp_bridge import gateway
from wp_bridge.client import Transport
from wp_bridge.urls import normalize_site_url

SECRET_KINDS: dict[str, str] = {
    "consumer_key": "daraja-consumer-key",
    "consumer_secret": "daraja-consumer-secret",
    "passkey": "daraja-passkey",
}


@dataclasses.dataclass(frozen=True)
class DarajaKeys:
    """The Daraja app's consumer key and secret and the Lipa Na M-PESA Online passkey (all secrets)."""

    consumer_key: Secret
    consumer_secret: Secret
    passkey: Secret


@dataclasses.dataclass(frozen=True)
class GoLiveResult:
    """What go-live did (or, with ``dry_run``, would do). ``as_dict()`` holds no secret."""

    site_url: str
    profile: str
    environment: str
    payment_type: str
    dry_run: bool
    plan: dict[str, str]
    findings: tuple[Finding, ...]
    push: dict[str, Any] | None
    stored: tuple[str, ...]
    token_verified: bool

    @property
    def ok(self) -> bool:
        return not rules.problems(self.findings) and (self.dry_run or bool(self.push and self.push.get("verified")))

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.OK if self.ok else ExitStatus.VERIFY

    def as_dict(self) -> dict[str, Any]:
        return {
            "site_url": self.site_url,
            "profile": self.profile,
            "environment": self.environment,
            "payment_type": self.payment_type,
            "dry_run": self.dry_run,
            "plan": self.plan,
            "findings": [f.as_json() for f in self.findings],
            "push": self.push,
            "stored": list(self.stored),
            "token_verified": self.token_verified,
            "ok": self.ok,
            "exit_status": int(self.exit_status),
        }


def daraja_refs(short_code: str, environment: str) -> dict[str, CredentialRef]:
    """The vault items of a Daraja app: ``mpesa-agent/<short code>`` / ``daraja-<what>:<environment>``."""
    return {field: CredentialRef(short_code, kind, environment) for field, kind in SECRET_KINDS.items()}


def daraja_url(prof: Profile) -> str | None:
    """The profile's ``daraja_url`` (the sandbox's mock; loopback only, checked by the client), or None."""
    value = prof.get("daraja_url")
    return str(value).rstrip("/") if value else None


def _base_urls(prof: Profile, environment: Environment) -> dict[str, str] | None:
    url = daraja_url(prof)
    if url is None:
        return None
    base_url_for(environment, url)  # a non-loopback override is a usage error (exit 2) before anything is sent
    return {environment: url}


def resolve_site(ctx: Context, site: str | None) -> SiteLink:
    """The linked site ``site``, or the only linked site; a UsageError naming the linked ones otherwise."""
    links = sites.linked_sites(ctx)
    if not links:
        raise UsageError("No site is linked yet.", hint="Link your shop first: mpesa-agent link-site https://your.shop")
    if site is None:
        if len(links) > 1:
            raise UsageError(
                "Several sites are linked: " + ", ".join(link.url for link in links) + ".",
                hint=f"Choose one with --site, e.g. mpesa-agent go-live --site {links[0].url}",
            )
        return links[0]
    wanted = normalize_site_url(site)
    for link in links:
        if link.url == wanted:
            return link
    raise UsageError(
        f"{wanted} is not linked (linked sites: {', '.join(link.url for link in links)}).",
        hint=f"Link it first: mpesa-agent link-site {wanted}",
    )


def _initiator(ctx: Context, prof: Profile) -> tuple[str, Secret]:
    username = prof.api_username
    if not username:
        raise UsageError(
            f"The profile {prof.key} has no api_operator.username in the configuration.",
            hint="Run mpesa-agent setup first (go-live pushes the API operator with the Daraja app's settings).",
        )
    return username, ctx.vault.require(CredentialRef(prof.short_code, "api-operator", username))


def _push_values(planned: GoLiveSettings) -> dict[str, str]:
    return {
        name: value.reveal() if isinstance(value, Secret) else str(value)
        for name, value in rules.logical_values(planned).items()
    }


def go_live(
    ctx: Context,
    keys: DarajaKeys,
    *,
    environment: str,
    payment_type: PaymentType,
    profile: str | None = None,
    site: str | None = None,
    short_code: str | None = None,
    store_number: str | None = None,
    dry_run: bool = False,
    transport: Transport | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> GoLiveResult:
    """Check the Daraja app's settings against Daraja and the profile, then push them with the initiator (see the
    module docstring), holding the profile's write lock (a dry run only waits for a writer). Raises
    ``GoLiveInconsistencyError`` (exit 5), ``DarajaAuthError`` (exit 4), a site error (exit 7),
    ``DarajaUnavailableError`` (exit 10) or ``ConflictError`` (exit 8, another command is writing); nothing is
    written unless every check passed."""
    with ctx.lock(profile, "go-live --dry-run" if dry_run else "go-live", shared=dry_run):
        return _go_live(
            ctx,
            keys,
            environment=environment,
            payment_type=payment_type,
            profile=profile,
            site=site,
            short_code=short_code,
            store_number=store_number,
            dry_run=dry_run,
            transport=transport,
            timeout=timeout,
        )


def _go_live(
    ctx: Context,
    keys: DarajaKeys,
    *,
    environment: str,
    payment_type: PaymentType,
    profile: str | None = None,
    site: str | None = None,
    short_code: str | None = None,
    store_number: str | None = None,
    dry_run: bool = False,
    transport: Transport | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> GoLiveResult:
    """Check the Daraja app's settings against Daraja and the profile, then push them with the initiator (see the
    module docstring). Raises ``GoLiveInconsistencyError`` (exit 5), ``DarajaAuthError`` (exit 4), a site error
    (exit 7) or ``DarajaUnavailableError`` (exit 10); nothing is written unless every check passed."""
    report = ctx.reporter
    env = check_environment(environment)
    if payment_type not in rules.PAYMENT_TYPES:
        raise UsageError(f"Unknown payment type {payment_type!r}.", hint="Use --payment-type paybill or till.")
    prof = ctx.profile(profile)
    link = resolve_site(ctx, site)
    username, password = _initiator(ctx, prof)
    code = (short_code or (prof.short_code if payment_type == "paybill" else "")).strip()
    planned = rules.planned_settings(
        environment=env,
        payment_type=payment_type,
        short_code=code,
        consumer_key=keys.consumer_key,
        consumer_secret=keys.consumer_secret,
        passkey=keys.passkey,
        store_number=store_number,
        initiator_username=username,
        initiator_password=password,
    )
    facts = GoLiveFacts(
        settings=planned,
        environment=env,
        profile_short_code=prof.short_code,
        payment_type=payment_type,
        initiator_short_code=prof.short_code,  # the vault holds it under this organisation
        expected_initiator=username,
        source="plan",
    )
    report.start("golive-rules", "Check the settings against the profile and each other")
    try:
        rules.require_consistent(rules.check_go_live(facts))
    except AgentError as exc:
        report.finish("golive-rules", "failed", exc.message)
        raise
    report.finish("golive-rules", "ok", "consistent")

    report.start("golive-token", f"Fetch a Daraja token ({env}) with the consumer key and secret")
    try:
        token = verify_consumer_credentials(
            env, keys.consumer_key, keys.consumer_secret, base_urls=_base_urls(prof, env), timeout=timeout
        )
    except AgentError as exc:
        report.finish("golive-token", "failed", exc.message)
        raise
    del token  # verified; never kept
    report.finish("golive-token", "ok", f"Daraja {env} accepted the keys")
    findings = rules.require_consistent(rules.check_go_live(dataclasses.replace(facts, verified_environment=env)))

    plan = rules.masked_plan(planned)
    values = _push_values(planned)
    vault = ctx.vault
    refs = daraja_refs(prof.short_code, env)
    if dry_run:
        with site_errors():
            client = sites.client_for(link, vault, transport=transport)
            result = gateway.push_settings(client, values, site_url=link.url, gateway_id=link.gateway_id, dry_run=True)
        return GoLiveResult(
            link.url, prof.key, env, payment_type, True, plan, tuple(findings), result.to_dict(), (), True
        )

    report.start("golive-push", f"Store the keys in the vault and push them with {username} to {link.url}")
    secrets = {"consumer_key": keys.consumer_key, "consumer_secret": keys.consumer_secret, "passkey": keys.passkey}
    for field, ref in list(refs.items()):
        vault.discard_pending(ref)  # a go-live that stopped half-way is superseded by this verified one
        if vault.get(ref) == secrets[field]:
            del refs[field]  # already the current version: nothing to stage
            continue
        vault.stage(ref, secrets[field], note=f"go-live {env} for {link.url}")

    def keep(snapshot: gateway.GatewaySnapshot) -> None:
        vault.set_current(sites.snapshot_ref(link.url), Secret(snapshot.to_json()), note=f"before go-live {env}")

    try:
        with site_errors():
            client = sites.client_for(link, vault, transport=transport)
            result = gateway.push_settings(
                client, values, site_url=link.url, gateway_id=link.gateway_id, before_write=keep
            )
    except BaseException as exc:
        for ref in refs.values():
            vault.discard_pending(ref)
        report.finish("golive-push", "failed", exc.message if isinstance(exc, AgentError) else type(exc).__name__)
        raise
    for ref in refs.values():
        vault.promote(ref)
    changes = result.to_dict().get("changes") or []
    report.finish("golive-push", "ok", f"{len(changes)} setting(s) written and read back" if changes else "no change")
    stored = tuple(ref.describe() for ref in daraja_refs(prof.short_code, env).values())
    return GoLiveResult(
        link.url, prof.key, env, payment_type, False, plan, tuple(findings), result.to_dict(), stored, True
    )


# -- doctor -------------------------------------------------------------------------------------------------------


def golive_checks(
    ctx: Context,
    profile: str | None,
    site_url: str | None,
    *,
    offline: bool,
    transport: Transport | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    wait_seconds: float = 30.0,
) -> list[Finding]:
    """The go-live checks of one linked site for doctor, each a ``Finding`` with evidence and fix.

    The plugin's settings are read (one GET); then the token fetch (``unknown`` offline), every consistency rule
    against what the plugin holds, and the initiator end to end: ``unknown`` with the reason on real Daraja (it
    reports a wrong initiator only asynchronously), a Transaction Status query against the sandbox's mock Daraja.
    A site that cannot be read is one ``golive.plugin`` problem.
    """
    prof = ctx.profile(profile)
    try:
        link = resolve_site(ctx, site_url)
        with site_errors():
            client = sites.client_for(link, ctx.vault, transport=transport)
            state = gateway.read_gateway(client, link.gateway_id)
    except AgentError as exc:
        return [Finding("golive.plugin", "problem", "M-PESA plugin settings", exc.message, exc.hint or "")]
    settings = rules.settings_from_osen(state.values())
    env: Environment = "sandbox" if settings.environment == "sandbox" else "production"
    try:
        base_urls = None if offline else _base_urls(prof, env)
    except AgentError as exc:  # a daraja_url that is not loopback: say so instead of asking anyone
        return [Finding(golive_checks_lib.OAUTH_CHECK, "problem", "Daraja token", exc.message, exc.hint or "")]
    token, verified = golive_checks_lib.token_finding(
        env, settings.consumer_key, settings.consumer_secret, offline=offline, base_urls=base_urls, timeout=timeout
    )
    username = prof.api_username or None
    owned = (
        prof.short_code
        if username
        and settings.initiator_username == username
        and ctx.vault.get(CredentialRef(prof.short_code, "api-operator", username)) is not None
        else None
    )
    facts = GoLiveFacts(
        settings=settings,
        environment=env,
        profile_short_code=prof.short_code,
        verified_environment=verified,
        initiator_short_code=owned,
        expected_initiator=username,
    )
    findings = [token, *rules.check_go_live(facts)]
    findings.append(_initiator_result(settings, env, base_urls, offline, verified, timeout, wait_seconds))
    return findings


def _initiator_result(
    settings: GoLiveSettings,
    env: Environment,
    base_urls: dict[str, str] | None,
    offline: bool,
    verified: Environment | None,
    timeout: Timeout,
    wait_seconds: float,
) -> Finding:
    title = "Initiator (Daraja result)"
    check_id = golive_checks_lib.INITIATOR_CHECK
    if offline:
        return Finding(check_id, "unknown", title, "Not checked (offline).", "Run the check without --offline.")
    if verified is None:
        return Finding(check_id, "unknown", title, "Not checked: Daraja issued no token for the plugin's keys.")
    s = settings
    if not (s.consumer_key and s.consumer_secret and s.initiator_username and s.initiator_password):
        return Finding(check_id, "problem", title, "The plugin has no initiator.", "Run mpesa-agent push.")
    party = (s.store_number if s.identifier_type == "till" else s.short_code) or ""
    try:
        outcome = check_initiator(
            environment=env,
            consumer_key=s.consumer_key,
            consumer_secret=s.consumer_secret,
            initiator=s.initiator_username,
            password=s.initiator_password,
            short_code=party,
            base_url=(base_urls or {}).get(env),
            wait_seconds=wait_seconds,
            timeout=timeout,
        )
    except AgentError as exc:
        return Finding(check_id, "unknown", title, exc.message, exc.hint or "")
    return golive_checks_lib.initiator_finding(outcome)
