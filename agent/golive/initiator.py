"""The end-to-end initiator check: a Transaction Status query whose asynchronous result says whether it is valid.

Real Daraja reports a wrong initiator only in the result it POSTs to a public ResultURL, and sometimes never
(reference daraja.md §3.6); the agent exposes no public URL, so against Safaricom's hosts ``check_initiator``
answers ``unknown`` with that reason and sends nothing. Against the sandbox's mock Daraja (a loopback
``base_url``) it runs the whole exchange: token, SecurityCredential made with the mock's own certificate (fetched
from the mock), the query, and the result received on a loopback ``ResultReceiver``.
"""

from __future__ import annotations

import dataclasses

import requests

from agent.golive.daraja import (
    DEFAULT_TIMEOUT,
    Acceptance,
    DarajaClient,
    DarajaConfigError,
    DarajaResult,
    InitiatorVerdict,
    Timeout,
    check_environment,
    daraja_config,
    initiator_verdict,
    is_loopback_url,
    security_credential,
    transaction_status_request,
    unavailable_error,
)
from agent.golive.receiver import ResultReceiver
from agent.secret import Secret

# A receipt-shaped placeholder: a valid initiator gets 2032 "does not exist" (or 0 from the mock), never 2001.
PROBE_RECEIPT = "AGENTCHK00"

REAL_DARAJA_UNKNOWN = InitiatorVerdict(
    "unknown",
    None,
    "Daraja accepts any initiator synchronously and reports a wrong name or password only in its asynchronous "
    "result, which needs a public ResultURL (and sometimes never arrives).",
    "Run a transaction status query from the shop's M-PESA plugin; a 2001 answer means the initiator is wrong.",
)


@dataclasses.dataclass(frozen=True)
class InitiatorCheck:
    """The verdict, with the acceptance and the result when a query was made."""

    verdict: InitiatorVerdict
    acceptance: Acceptance | None = None
    result: DarajaResult | None = None


def fetch_certificate(environment: str, base_url: str, *, timeout: Timeout = DEFAULT_TIMEOUT) -> bytes:
    """The mock Daraja's certificate for ``environment`` (loopback only: the agent never fetches Safaricom's)."""
    env = check_environment(environment)
    if not is_loopback_url(base_url):
        raise DarajaConfigError("Certificates are fetched only from the sandbox's mock Daraja (a loopback address).")
    url = base_url.rstrip("/") + str(daraja_config()["certificates"][env])
    try:
        reply = requests.get(url, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise unavailable_error("certificate", exc) from None
    if reply.status_code != 200 or b"-----BEGIN" not in reply.content:
        raise DarajaConfigError(f"The mock Daraja has no {env} certificate (HTTP {reply.status_code}).")
    return reply.content


def check_initiator(
    *,
    environment: str,
    consumer_key: Secret,
    consumer_secret: Secret,
    initiator: str,
    password: Secret,
    short_code: str,
    identifier_type: str = "paybill",
    base_url: str | None = None,
    certificate_pem: bytes | None = None,
    wait_seconds: float = 30.0,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> InitiatorCheck:
    """Check the initiator end to end against the mock at ``base_url``; ``unknown`` (no request) on real Daraja.

    Raises the client's ``DarajaError``s for the token and the query (e.g. ``DarajaAuthError`` for wrong keys).
    """
    env = check_environment(environment)
    if base_url is None:
        return InitiatorCheck(REAL_DARAJA_UNKNOWN)
    with DarajaClient(env, base_url=base_url, timeout=timeout, retries=1) as client, ResultReceiver() as receiver:
        certificate = certificate_pem or fetch_certificate(env, client.base_url, timeout=timeout)
        token = client.fetch_token(consumer_key, consumer_secret)
        request = transaction_status_request(
            initiator=initiator,
            credential=security_credential(password, certificate),
            party_a=short_code,
            identifier_type=identifier_type,
            result_url=receiver.result_url,
            queue_timeout_url=receiver.timeout_url,
            transaction_id=PROBE_RECEIPT,
            remarks="mpesa-agent initiator check",
        )
        acceptance = client.submit(request, token)
        result = receiver.wait_for(acceptance.originator_conversation_id, timeout=wait_seconds)
        return InitiatorCheck(initiator_verdict(result), acceptance, result)
