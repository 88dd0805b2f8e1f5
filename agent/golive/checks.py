"""Doctor-facing go-live checks that talk to Daraja, as ``Finding``s (``agent.golive.rules``) with evidence and fix.

* ``token_finding``     fetch an OAuth token with the plugin's keys (``unknown`` when offline or Daraja is
  unreachable, ``problem`` when the keys are refused); the token is dropped at once, never stored;
* ``initiator_finding`` the verdict of ``agent.golive.initiator.check_initiator`` (real Daraja: always ``unknown``
  with the reason; the sandbox's mock: ``ok``/``problem`` from the asynchronous result).

``go-live`` itself uses ``daraja.verify_consumer_credentials`` and lets the errors (exit 4) reach the CLI boundary.
"""

from __future__ import annotations

from agent.golive.daraja import (
    DEFAULT_TIMEOUT,
    DarajaAuthError,
    DarajaError,
    DarajaUnavailableError,
    Environment,
    Timeout,
    verify_consumer_credentials,
)
from agent.golive.initiator import InitiatorCheck
from agent.golive.rules import Finding
from agent.secret import Secret

OAUTH_CHECK = "golive.oauth"
INITIATOR_CHECK = "golive.initiator-result"


def token_finding(
    environment: Environment,
    consumer_key: Secret | None,
    consumer_secret: Secret | None,
    *,
    offline: bool = False,
    base_urls: dict[str, str] | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> tuple[Finding, Environment | None]:
    """The token check and the environment the keys were verified in (``None`` unless ``ok``)."""
    title = "Daraja token"
    if offline:
        return Finding(
            OAUTH_CHECK, "unknown", title, "Not checked (offline).", "Run the check without --offline."
        ), None
    if not consumer_key or not consumer_secret:
        return (
            Finding(
                OAUTH_CHECK, "problem", title, "The plugin has no consumer key or secret.", "Run mpesa-agent go-live."
            ),
            None,
        )
    try:
        token = verify_consumer_credentials(
            environment, consumer_key, consumer_secret, base_urls=base_urls, timeout=timeout
        )
    except DarajaAuthError as exc:
        return Finding(OAUTH_CHECK, "problem", title, exc.message, exc.hint or ""), None
    except DarajaUnavailableError as exc:
        return Finding(OAUTH_CHECK, "unknown", title, exc.message, exc.hint or ""), None
    except DarajaError as exc:
        return Finding(OAUTH_CHECK, "unknown", title, exc.message, exc.hint or ""), None
    del token  # verified; never kept
    return Finding(
        OAUTH_CHECK, "ok", title, f"Daraja ({environment}) issued a token for the plugin's keys."
    ), environment


def initiator_finding(check: InitiatorCheck) -> Finding:
    """The end-to-end initiator verdict as a finding (``unknown`` is never shown as ok)."""
    verdict = check.verdict
    evidence = verdict.meaning if verdict.code is None else f"Result {verdict.code}: {verdict.meaning}"
    return Finding(INITIATOR_CHECK, verdict.status, "Initiator (Daraja result)", evidence, verdict.fix)
