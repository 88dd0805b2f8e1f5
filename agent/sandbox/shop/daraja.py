"""The sandbox shop's M-PESA plugin stand-in talking to Daraja: a Transaction Status query, as Osen's plugin makes one.

Written from ``../shared/reference/daraja.md`` (§2 OAuth, §3.3 Transaction Status, §4 SecurityCredential) and
``wordpress-woocommerce.md`` §2.1 (what Osen does with its settings), never from the agent's client. Like the
plugin, it takes everything from the gateway's stored settings: the environment (``env``: ``sandbox``/``live``,
which picks the certificate), the consumer key and secret, the short code (a till: the store number) and the
initiator's RAW password, which it encrypts itself with the environment's certificate (PKCS#1 v1.5, Base64).

Only against the sandbox's mock Daraja (a loopback ``daraja_url``): the certificate is fetched from the mock, and
the ResultURL is the shop's own loopback ``/__sim/daraja/result/<id>``. ``Results`` collects what the mock POSTs
back; the control route waits on it (a condition, no polling) and answers with the result.
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
import threading
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TIMEOUT = (5.0, 20.0)
CERTIFICATES = {"sandbox": "/certificates/SandboxCertificate.cer", "live": "/certificates/ProductionCertificate.cer"}
OAUTH = "/oauth/v1/generate"
TRANSACTION_STATUS = "/mpesa/transactionstatus/v1/query"


class QueryFailed(Exception):
    """Daraja refused the token or the query synchronously; the message is safe to show (no secret)."""


@dataclasses.dataclass
class Results:
    """Results POSTed to the shop's ResultURL, by the id in its path."""

    received: dict[str, Any] = dataclasses.field(default_factory=dict)
    cond: threading.Condition = dataclasses.field(default_factory=threading.Condition)

    def new_id(self) -> str:
        return secrets.token_urlsafe(12)

    def accept(self, result_id: str, payload: Any) -> None:
        with self.cond:
            self.received[result_id] = payload
            self.cond.notify_all()

    def wait_for(self, result_id: str, timeout: float) -> Any:
        with self.cond:
            self.cond.wait_for(lambda: result_id in self.received, timeout=timeout)
            return self.received.get(result_id)


def _text(values: dict[str, Any], key: str) -> str:
    value = values.get(key)
    return "" if value is None else str(value).strip()


def security_credential(password: str, certificate_pem: bytes) -> str:
    """``base64(RSA-PKCS#1-v1.5(password))`` with the certificate's public key (what Osen does, §4.1)."""
    public_key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise QueryFailed("The Daraja certificate has no RSA key.")
    return base64.b64encode(public_key.encrypt(password.encode("utf-8"), padding.PKCS1v15())).decode("ascii")


def transaction_status(
    values: dict[str, Any], *, daraja_url: str, result_url: str, timeout_url: str, transaction_id: str
) -> dict[str, Any]:
    """Send a Transaction Status query with the plugin's settings ``values``; the synchronous acceptance."""
    env = _text(values, "env") or "sandbox"
    if env not in CERTIFICATES:
        raise QueryFailed(f"The plugin's environment {env!r} is neither sandbox nor live.")
    base = daraja_url.rstrip("/")
    try:
        cert = requests.get(base + CERTIFICATES[env], timeout=TIMEOUT)
        token_reply = requests.get(
            base + OAUTH,
            params={"grant_type": "client_credentials"},
            auth=(_text(values, "key"), _text(values, "secret")),
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise QueryFailed(f"Daraja could not be reached ({type(exc).__name__}).") from None
    token = token_reply.json().get("access_token") if token_reply.status_code == 200 else None
    if not token:
        raise QueryFailed(f"Daraja refused the consumer key and secret (HTTP {token_reply.status_code}).")
    idtype = _text(values, "idtype")
    party = _text(values, "headoffice") if idtype == "2" else _text(values, "shortcode")
    body = {
        "Initiator": _text(values, "initiator"),
        "SecurityCredential": security_credential(_text(values, "password"), cert.content),
        "CommandID": "TransactionStatusQuery",
        "TransactionID": transaction_id,
        "PartyA": party,
        "IdentifierType": "4",
        "ResultURL": result_url,
        "QueueTimeOutURL": timeout_url,
        "Remarks": "Transaction status from the shop",
        "Occasion": "",
    }
    try:
        reply = requests.post(
            base + TRANSACTION_STATUS, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        )
    except requests.RequestException as exc:
        raise QueryFailed(f"Daraja could not be reached ({type(exc).__name__}).") from None
    data = reply.json() if "json" in reply.headers.get("Content-Type", "") else {}
    if reply.status_code != 200 or str(data.get("ResponseCode")) != "0":
        code = data.get("errorCode") or data.get("ResponseCode") or reply.status_code
        raise QueryFailed(f"Daraja did not accept the query ({code}: {data.get('errorMessage', '')}).")
    return dict(data)
