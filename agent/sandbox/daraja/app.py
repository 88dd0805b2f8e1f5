"""The mock Daraja's Flask application: OAuth, the two queries, the certificates, and the ``/__sim/`` controls.

Bodies follow ``../shared/reference/daraja.md``: the OAuth success ``{"access_token", "expires_in": "3599"}`` and its
errors (§2.2, §2.3); the synchronous acceptance (§3.4) and errors (§3.5); the results POSTed to ``ResultURL``
(§3.7). Mock rules with no public source [P]: a ResultURL or QueueTimeOutURL that is not loopback is refused with
``400.002.02 Bad Request - Invalid ResultURL`` (the mock never calls out of this machine); a missing or non-Basic
``Authorization`` gets the wrong-key body. Results are POSTed from a daemon thread after
``result_delay_seconds`` (an ``Event.wait``, so ``stop()`` ends it at once), with a timeout.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import ipaddress
import json
import secrets
import string
import threading
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from flask import Flask, Response, current_app, request

from agent.sandbox.daraja.keys import decrypt_credential
from agent.sandbox.daraja.state import ENVIRONMENTS, PRODUCTS, App, Callback, DarajaState

Mode = Literal["daraja", "test", "demo"]
MODES: tuple[Mode, ...] = ("daraja", "test", "demo")
_EXTENSION = "mpesa_sandbox_daraja"
JSON_TYPE = "application/json;charset=UTF-8"
CALLBACK_TIMEOUT = (2.0, 5.0)

ACCEPT_DESCRIPTION = "Accept the service request successfully."
RESULT_TEXTS: dict[int, str] = {
    0: "The service request is processed successfully.",
    2001: "The initiator information is invalid.",
    21: "The initiator is not allowed to initiate this request",
    8006: "The security credential is locked",
    2032: "The transaction receipt number does not exist.",
}
QUEUE_TIMEOUT_REFERENCE = {
    "sandbox": "https://internalsandbox.safaricom.co.ke/mpesa/abresults/v1/submit",
    "production": "https://internalapi.safaricom.co.ke/mpesa/abresults/v1/submit",
}
FIELDS = {
    "AccountBalance": (
        "Initiator",
        "SecurityCredential",
        "CommandID",
        "PartyA",
        "IdentifierType",
        "Remarks",
        "QueueTimeOutURL",
        "ResultURL",
    ),
    "TransactionStatusQuery": (
        "Initiator",
        "SecurityCredential",
        "CommandID",
        "PartyA",
        "IdentifierType",
        "ResultURL",
        "QueueTimeOutURL",
        "Remarks",
    ),
}
PLACEHOLDER_TRANSACTION = {"AccountBalance": "OFP0000000", "TransactionStatusQuery": "UIS1000000"}
WAF_PAGE = (
    "<html><head><title>Request Rejected</title></head>"
    "<body>Request unsuccessful. Incapsula incident ID: 0-0</body></html>"
)
PORTAL_PAGE = "<!DOCTYPE html><html><head><title>Daraja - Safaricom Developer Portal</title></head><body></body></html>"


@dataclasses.dataclass
class MockDaraja:
    """What a running mock app holds: its state, mode, and an event that ends pending callbacks."""

    state: DarajaState
    mode: Mode
    stopping: threading.Event

    @property
    def control_enabled(self) -> bool:
        return self.mode in ("test", "demo")


def daraja() -> MockDaraja:
    found: MockDaraja = current_app.extensions[_EXTENSION]
    return found


def daraja_of(app: Flask) -> MockDaraja:
    found: MockDaraja = app.extensions[_EXTENSION]
    return found


# ---------------------------------------------------------------------------------------------------------------
# helpers


def _hex(n: int) -> str:
    return secrets.token_hex((n + 1) // 2)[:n]


def new_request_id() -> str:
    """The newer requestId form, e.g. ``6e86-45dd-91ac-fd5d4178ab523792718`` (§2.3)."""
    return f"{_hex(4)}-{_hex(4)}-{_hex(4)}-{_hex(12)}{secrets.randbelow(10**7):07d}"


def new_conversation_ids() -> tuple[str, str]:
    """(OriginatorConversationID, ConversationID) in the 2026 forms (§3.4)."""
    originator = f"{_hex(4)}-{_hex(4)}-{_hex(4)}-{_hex(12)}{secrets.randbelow(10**6):06d}"
    alphabet = string.ascii_lowercase + string.digits
    tail = "".join(secrets.choice(alphabet) for _ in range(20))
    return originator, f"AG_{dt.datetime.now(dt.UTC):%Y%m%d}_{tail}"


def error(status: int, code: str, message: str) -> Response:
    body = {"requestId": new_request_id(), "errorCode": code, "errorMessage": message}
    return Response(json.dumps(body), status=status, content_type=JSON_TYPE, headers={"Cache-Control": "no-store"})


def _json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type=JSON_TYPE)


def is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.casefold() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep else None


# ---------------------------------------------------------------------------------------------------------------
# OAuth (§2)


def oauth_generate() -> Response:
    mock = daraja()
    state = mock.state
    with state.lock:
        state.token_requests += 1
        settings = dataclasses.replace(state.settings)
    if settings.oauth_mode == "waf_503":
        return Response(WAF_PAGE, status=503, content_type="text/html")
    if settings.oauth_mode == "html_200":
        return Response(PORTAL_PAGE, status=200, content_type="text/html", headers={"Server": "Apigee SPA Proxy"})
    if request.args.get("grant_type") != "client_credentials":
        return error(400, "400.008.02", "Invalid grant type passed")
    credentials = _basic_credentials()
    app = state.app_for(*credentials) if credentials else None
    if app is None or "oauth" not in app.products:
        if settings.oauth_mode == "bad_credentials_empty":
            return Response(b"", status="400 Bad Request: Invalid Credentials")
        return error(400, "400.008.01", "Invalid Authentication passed")
    if settings.oauth_mode == "no_token_200":
        return _json_response({"expires_in": "3599"})
    token = state.issue_token(app)
    expires: int | str = 3599 if settings.expires_in_number else "3599"
    return _json_response({"access_token": token, "expires_in": expires})


# ---------------------------------------------------------------------------------------------------------------
# Account Balance / Transaction Status (§3)


def _bad_token(token: str) -> Response:
    if daraja().state.settings.rejection_reply == "401.002.01":
        return error(401, "401.002.01", f"Error Occurred - Invalid Access Token - {token or 'Invalid access token'}")
    return error(404, "404.001.03", "Invalid Access Token")


def _query(command_id: str, product: str) -> Response:
    mock = daraja()
    state = mock.state
    with state.lock:
        state.query_requests += 1
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    app = state.app_of_token(token) if scheme.casefold() == "bearer" else None
    if app is None:
        return _bad_token(token)
    if product not in app.products:
        return error(401, "401.001", "Invalid Access Token")
    if state.settings.query_mode == "spike":
        return error(500, "500.003.02", "Error Occurred: Spike Arrest Violation")
    if state.settings.query_mode == "unreachable":
        return error(500, "500.003.1001", "Service is currently unreachable. Please try again later.")
    required = FIELDS[command_id]
    if "json" not in (request.content_type or "").casefold():
        return error(400, "400.002.02", f"Bad Request - Invalid {required[0]}")
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except json.JSONDecodeError:
        return error(400, "400.002.05", "Invalid Request Payload")
    if not isinstance(body, dict):
        return error(400, "400.002.05", "Invalid Request Payload")
    for field in required:
        value = body.get(field)
        if value is None or str(value).strip() == "":
            return error(400, "400.002.02", f"Bad Request - Invalid {field}")
    if str(body["CommandID"]) != command_id:
        return error(400, "400.002.02", "Bad Request - Invalid CommandID")
    if str(body["IdentifierType"]) not in ("1", "2", "4") or not str(body["PartyA"]).isdigit():
        return error(400, "400.002.02", "Bad Request - Invalid PartyA")
    receipt = ""
    if command_id == "TransactionStatusQuery":
        receipt = str(body.get("TransactionID") or "").strip()
        conversation = body.get("OriginalConversationID") or body.get("OriginatorConversationID")
        if not receipt and not conversation:
            return error(400, "400.002.02", "Bad Request - Invalid TransactionID")
    for field in ("ResultURL", "QueueTimeOutURL"):
        if not is_loopback_url(str(body[field])):
            return error(400, "400.002.02", f"Bad Request - Invalid {field}")
    originator, conversation_id = new_conversation_ids()
    password = decrypt_credential(state.keys[state.environment], str(body["SecurityCredential"]))
    organisation = state.organisation_of(str(body["PartyA"]), str(body["IdentifierType"]))
    code = state.decide(
        short_code=organisation, username=str(body["Initiator"]), password=password, command_id=command_id
    )
    with state.lock:
        known = state.settings.known_receipts
        send, delay = state.settings.send_results, float(state.settings.result_delay_seconds)
    if code == 0 and receipt and known is not None and receipt not in known:
        code = 2032
    payload = _result(command_id, code, body, originator, conversation_id, receipt, state.environment)
    if send:
        callback = Callback(str(body["ResultURL"]), payload, code, originator)
        state.record(callback)
        threading.Thread(
            target=_deliver, args=(state, callback, delay, mock.stopping), name="mock-daraja-result", daemon=True
        ).start()
    return _json_response(
        {
            "OriginatorConversationID": originator,
            "ConversationID": conversation_id,
            "ResponseCode": "0",
            "ResponseDescription": ACCEPT_DESCRIPTION,
        }
    )


def _result(
    command_id: str,
    code: int,
    body: dict[str, Any],
    originator: str,
    conversation_id: str,
    receipt: str,
    environment: str,
) -> dict[str, Any]:
    """The §3.7 result envelope for this outcome."""
    now = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)  # Nairobi time, as M-PESA stamps it
    stamp = f"{now:%Y%m%d%H%M%S}"
    result: dict[str, Any] = {
        "ResultType": 0,
        "ResultCode": code,
        "ResultDesc": RESULT_TEXTS.get(code, "The service request has failed."),
        "OriginatorConversationID": originator,
        "ConversationID": conversation_id,
        "TransactionID": PLACEHOLDER_TRANSACTION[command_id],
    }
    if command_id == "AccountBalance":
        if code == 0:
            balance = (
                "Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|KES|0.00|0.00|0.00|0.00"
                "&Utility Account|KES|228037.00|228037.00|0.00|0.00"
                "&Charges Paid Account|KES|-1540.00|-1540.00|0.00|0.00"
                "&Organization Settlement Account|KES|0.00|0.00|0.00|0.00"
            )
            params: Any = [
                {"Key": "AccountBalance", "Value": balance},
                {"Key": "BOCompletedTime", "Value": int(stamp)},
            ]
        else:
            params = {"Key": "BOCompletedTime", "Value": int(stamp)}
        result["ResultParameters"] = {"ResultParameter": params}
        result["ReferenceData"] = {
            "ReferenceItem": {"Key": "QueueTimeoutURL", "Value": QUEUE_TIMEOUT_REFERENCE[environment]}
        }
    else:
        if code == 0:
            result["ResultParameters"] = {
                "ResultParameter": [
                    {"Key": "DebitPartyName", "Value": "254708374149 - John Doe"},
                    {"Key": "CreditPartyName", "Value": f"{body['PartyA']} - Sandbox Duka Ltd"},
                    {"Key": "OriginatorConversationID", "Value": originator},
                    {"Key": "InitiatedTime", "Value": int(stamp)},
                    {"Key": "DebitAccountType", "Value": "MMF Account For Customer"},
                    {"Key": "DebitPartyCharges", "Value": ""},
                    {"Key": "TransactionReason"},
                    {"Key": "ReasonType", "Value": "Pay Bill Online"},
                    {"Key": "TransactionStatus", "Value": "Completed"},
                    {"Key": "FinalisedTime", "Value": int(stamp)},
                    {"Key": "Amount", "Value": "300"},
                    {"Key": "ConversationID", "Value": conversation_id},
                    {"Key": "ReceiptNo", "Value": receipt or "NEF61H8J60"},
                ]
            }
        result["ReferenceData"] = {"ReferenceItem": {"Key": "Occasion", "Value": str(body.get("Occasion") or "")}}
    return {"Result": result}


def _deliver(state: DarajaState, callback: Callback, delay: float, stopping: threading.Event) -> None:
    """POST one result after ``delay`` seconds (ends at once when the mock stops); records how it went."""
    if stopping.wait(delay):
        state.delivered(callback, status=None, error="the mock stopped before delivery")
        return
    try:
        reply = requests.post(callback.url, json=callback.payload, timeout=CALLBACK_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        state.delivered(callback, status=None, error=type(exc).__name__)
        return
    state.delivered(callback, status=reply.status_code)


# ---------------------------------------------------------------------------------------------------------------
# certificates and the control surface


def certificate(environment: str) -> Response:
    state = daraja().state
    pair = state.keys.get({"Sandbox": "sandbox", "Production": "production"}.get(environment, ""))
    if pair is None:
        return error(404, "404.002.01", "Resource not found")
    return Response(pair.certificate_pem, content_type="application/x-pem-file")


def _control_only() -> Response | None:
    if not daraja().control_enabled:
        return error(404, "404.002.01", "Resource not found")
    return None


def sim_state() -> Response:
    return _control_only() or _json_response(daraja().state.snapshot())


def sim_settings() -> Response:
    refused = _control_only()
    if refused:
        return refused
    values = request.get_json(silent=True)
    if not isinstance(values, dict):
        return _json_response({"error": "send a JSON object of settings"}, 400)
    state = daraja().state
    with state.lock:
        try:
            state.settings.update(values)
        except ValueError as exc:
            return _json_response({"error": str(exc)}, 400)
        return _json_response(dataclasses.asdict(state.settings))


def sim_reset() -> Response:
    refused = _control_only()
    if refused:
        return refused
    daraja().state.reset()
    return _json_response({"ok": True})


def sim_apps() -> Response:
    """Register (or replace) a Daraja app: ``{"consumer_key", "consumer_secret", "environment"?, "products"?}``."""
    refused = _control_only()
    if refused:
        return refused
    spec = request.get_json(silent=True)
    if not isinstance(spec, dict):
        return _json_response({"error": "send a JSON object"}, 400)
    key, secret = spec.get("consumer_key"), spec.get("consumer_secret")
    environment = spec.get("environment", daraja().state.environment)
    products = spec.get("products", sorted(PRODUCTS))
    if not (isinstance(key, str) and key and isinstance(secret, str) and secret):
        return _json_response({"error": "consumer_key and consumer_secret must be non-empty strings"}, 400)
    if environment not in ENVIRONMENTS:
        return _json_response({"error": "environment must be sandbox or production"}, 400)
    if not isinstance(products, list) or not set(products) <= PRODUCTS:
        return _json_response({"error": f"products must be a list of: {', '.join(sorted(PRODUCTS))}"}, 400)
    daraja().state.register_app(App(key, secret, environment=environment, products=frozenset(products)))
    return _json_response({"consumer_key": key, "environment": environment, "products": sorted(products)})


def sim_expire_tokens() -> Response:
    refused = _control_only()
    if refused:
        return refused
    return _json_response({"expired": daraja().state.expire_tokens()})


def index() -> Response:
    """What this is (a person may open the address the sandbox banner shows)."""
    state = daraja().state
    return _json_response(
        {
            "mock_daraja": True,
            "environment": state.environment,
            "oauth": "/oauth/v1/generate?grant_type=client_credentials",
            "certificate": "/certificates/"
            + ("Production" if state.environment == "production" else "Sandbox")
            + "Certificate.cer",
        }
    )


def create_app(state: DarajaState, *, mode: Mode = "test") -> Flask:
    """The mock Daraja app on ``state``. ``mode`` test/demo adds the ``/__sim/`` controls; "daraja" leaves them out."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    app = Flask("agent.sandbox.daraja")
    app.extensions[_EXTENSION] = MockDaraja(state=state, mode=mode, stopping=threading.Event())
    app.add_url_rule("/", "index", index, methods=["GET"])
    app.add_url_rule("/oauth/v1/generate", "oauth", oauth_generate, methods=["GET"])
    app.add_url_rule(
        "/mpesa/accountbalance/v1/query",
        "account_balance",
        lambda: _query("AccountBalance", "account_balance"),
        methods=["POST"],
    )
    app.add_url_rule(
        "/mpesa/transactionstatus/v1/query",
        "transaction_status",
        lambda: _query("TransactionStatusQuery", "transaction_status"),
        methods=["POST"],
    )
    app.add_url_rule("/certificates/<environment>Certificate.cer", "certificate", certificate, methods=["GET"])
    app.add_url_rule("/__sim/state", "sim_state", sim_state, methods=["GET"])
    app.add_url_rule("/__sim/settings", "sim_settings", sim_settings, methods=["POST"])
    app.add_url_rule("/__sim/reset", "sim_reset", sim_reset, methods=["POST"])
    app.add_url_rule("/__sim/apps", "sim_apps", sim_apps, methods=["POST"])
    app.add_url_rule("/__sim/expire-tokens", "sim_expire_tokens", sim_expire_tokens, methods=["POST"])

    @app.errorhandler(405)
    def _not_allowed(_exc: Exception) -> Response:
        return error(405, "405.001", f"{request.method} Method Not Allowed")

    @app.errorhandler(404)
    def _not_found(_exc: Exception) -> Response:
        return error(404, "404.002.01", "Resource not found")

    return app
