"""The Daraja HTTP client: OAuth token, SecurityCredential, Account Balance / Transaction Status, and their answers.

Facts from ``../shared/reference/daraja.md`` (§ numbers below); hosts and paths from ``config/daraja.toml``.

Transport rules: one ``requests.Session`` (User-Agent ``mpesa-agent/<version>``, TLS verification on), a (connect,
read) timeout on every call, retries (connection errors, 502/503/504) only for the idempotent OAuth ``GET`` — never
for a query ``POST``. Base URLs are the configured hosts; an override is accepted only for a loopback address (the
sandbox's mock Daraja). Nothing logs a body or a header: only method, path and status. The token, the consumer key
and secret and the initiator password live in ``Secret`` values; Daraja's error texts are cleaned before they reach
an exception (``401.002.01`` echoes the token it was sent, §3.5).

Error classes (each carries its exit status, ``agent.errors``):

* ``DarajaAuthError`` (4): wrong consumer key/secret (``400.008.01``, "Invalid Credentials", 401/403);
  ``DarajaWrongEnvironmentError`` (4): the keys work in the *other* environment;
  ``DarajaTokenError`` (4): an API call refused the token ("Invalid Access Token" in any variant, matched by text,
  or "no apiproduct match": the app lacks the product);
* ``DarajaRequestError`` (2): Daraja refused a field of the request (``400.002.02 Bad Request - Invalid <Field>``);
* ``DarajaUnavailableError`` (1, ``retryable``): network failure, timeout, 503 (WAF), 5xx outage, rate limits;
* ``DarajaUnexpectedReplyError`` (1): a 200 without a JSON ``access_token`` (e.g. the developer portal's HTML page,
  §1), or any answer the reference does not describe;
* ``DarajaConfigError`` (2): an unknown environment, or a base-URL override that is not loopback.
"""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
import logging
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from agent import __version__
from agent.errors import AgentError, AuthError, ExitStatus, UsageError
from agent.resources import load_toml
from agent.secret import Secret, redact_text

log = logging.getLogger("agent.golive.daraja")

Environment = Literal["sandbox", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("sandbox", "production")
Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (5.0, 30.0)
USER_AGENT = f"mpesa-agent/{__version__}"
CONFIG_FILE = "daraja.toml"

# Daraja's IdentifierType (§3.2): 1 = MSISDN, 2 = till number, 4 = organisation short code (paybill / head office).
IDENTIFIER_TYPES: dict[str, str] = {"paybill": "4", "till": "2", "msisdn": "1"}

ACCEPTED = "0"  # the only documented ResponseCode of a synchronous acceptance (§3.4)
MAX_REMARKS = 100

KEYS_HINT = (
    "Copy the Consumer Key and Consumer Secret again from the app on the Daraja portal (My Apps). The keys of a "
    "sandbox app do not work in production, and the reverse: production apps get new keys at Go Live."
)
UNAVAILABLE_HINT = "Daraja could not be reached or is busy; nothing was changed. Try again in a few minutes."


# ---------------------------------------------------------------------------------------------------------------
# errors


class DarajaError(AgentError):
    """Base of the Daraja failures. ``code`` is Daraja's ``errorCode`` (or ``ResultCode``) when it sent one."""

    exit_status = ExitStatus.ERROR

    def __init__(
        self, message: str, *, hint: str | None = None, code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(redact_text(message), hint=redact_text(hint) if hint else None)
        self.code = code
        self.status = status


class DarajaAuthError(DarajaError, AuthError):
    """The consumer key or secret was refused: they are wrong, or belong to another app or environment."""

    exit_status = ExitStatus.AUTH


class DarajaWrongEnvironmentError(DarajaAuthError):
    """The keys were refused in the chosen environment but accepted in the other one."""

    def __init__(self, message: str, *, hint: str | None = None, works_in: Environment) -> None:
        super().__init__(message, hint=hint)
        self.works_in = works_in


class DarajaTokenError(DarajaError, AuthError):
    """An API call refused the access token (expired, from another environment, or the app lacks the product)."""

    exit_status = ExitStatus.AUTH


class DarajaRequestError(DarajaError):
    """Daraja refused a field of the request before anything reached M-PESA (``400.002.02``)."""

    exit_status = ExitStatus.USAGE

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None, field: str = "") -> None:
        super().__init__(message, hint=hint, code=code, status=400)
        self.field = field


class DarajaUnavailableError(DarajaError):
    """Daraja was not reachable, timed out, or answered with an outage or rate-limit error. Worth trying later."""

    exit_status = ExitStatus.NETWORK
    retryable = True


class DarajaUnexpectedReplyError(DarajaError):
    """An answer the reference does not describe (e.g. an HTML page with status 200, a 200 without a token)."""

    exit_status = ExitStatus.ERROR


class DarajaConfigError(UsageError):
    """An unknown environment, or a base URL that may not be used (only loopback may replace the Daraja hosts)."""


# ---------------------------------------------------------------------------------------------------------------
# configuration


def daraja_config() -> dict[str, Any]:
    """The parsed ``config/daraja.toml`` (cached; read-only)."""
    return load_toml(CONFIG_FILE)


def check_environment(environment: str) -> Environment:
    if environment not in ENVIRONMENTS:
        raise DarajaConfigError(f"Unknown Daraja environment {environment!r}.", hint="Use 'sandbox' or 'production'.")
    return environment


def other_environment(environment: Environment) -> Environment:
    return "production" if environment == "sandbox" else "sandbox"


def is_loopback_url(url: str) -> bool:
    """True for an http(s) URL whose host is 127.0.0.0/8, ::1 or ``localhost``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def base_url_for(environment: str, override: str | None = None) -> str:
    """The API host of ``environment`` (no trailing slash). ``override`` must be a loopback URL (the mock)."""
    env = check_environment(environment)
    if override is not None:
        if not is_loopback_url(override):
            raise DarajaConfigError(
                "Refusing a Daraja address that is not Safaricom's API host: only a loopback address (the sandbox's "
                "mock Daraja) may replace it.",
                hint=f"Leave the address out to use {daraja_config()['environment'][env]['base_url']}.",
            )
        return override.rstrip("/")
    url = str(daraja_config()["environment"][env]["base_url"])
    if not url.startswith("https://"):
        raise DarajaConfigError(f"config/daraja.toml: the {env} host must use https")
    return url.rstrip("/")


def path_of(name: str) -> str:
    return str(daraja_config()["paths"][name])


# ---------------------------------------------------------------------------------------------------------------
# transport


def make_session(*, retries: int = 2) -> requests.Session:
    """A session with the project's defaults: User-Agent, TLS verification, retries for idempotent methods only."""
    session = requests.Session()
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
    session.verify = True
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=False,
        backoff_factor=0.3,
        status_forcelist=(502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS"}),
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@dataclasses.dataclass(frozen=True)
class ErrorBody:
    """Daraja's error shape ``{"requestId", "errorCode", "errorMessage"}`` (§2.3), cleaned of secrets."""

    request_id: str = ""
    code: str = ""
    message: str = ""

    def describe(self) -> str:
        parts = [p for p in (self.code, self.message) if p]
        text = " ".join(parts) if parts else "no error code"
        return text + (f" (requestId {self.request_id})" if self.request_id else "")


_TOKEN_ECHO = re.compile(r"(invalid access token)\s*-\s*\S+", re.IGNORECASE)


def clean_message(text: str) -> str:
    """Daraja's ``errorMessage`` without the echoed token (``401.002.01``) and with known secrets masked."""
    text = _TOKEN_ECHO.sub(r"\1", text.strip())
    return redact_text(text)[:300]


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_body(data: Any) -> ErrorBody:
    if not isinstance(data, dict):
        return ErrorBody()
    return ErrorBody(
        request_id=str(data.get("requestId", "") or "")[:80],
        code=str(data.get("errorCode", "") or "")[:40],
        message=clean_message(str(data.get("errorMessage", "") or "")),
    )


def is_invalid_access_token(text: str) -> bool:
    """The classifier rule (§3.5): any message containing "Invalid Access Token", whatever its code."""
    return "invalid access token" in text.casefold()


def _looks_html(response: requests.Response) -> bool:
    content_type = response.headers.get("Content-Type", "").casefold()
    if "html" in content_type:
        return True
    head = response.content[:200].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<"))


def _is_json(response: requests.Response) -> bool:
    return "json" in response.headers.get("Content-Type", "").casefold()


def unavailable_error(what: str, exc: requests.RequestException) -> DarajaUnavailableError:
    kind = (
        "timed out"
        if isinstance(exc, requests.Timeout)
        else "TLS verification failed"
        if isinstance(exc, requests.exceptions.SSLError)
        else "could not be reached"
    )
    return DarajaUnavailableError(f"Daraja {kind} ({what}).", hint=UNAVAILABLE_HINT)


def _outage(response: requests.Response, body: ErrorBody, what: str) -> DarajaUnavailableError | None:
    """A rate limit, outage or WAF block (§2.3, §3.5), or None."""
    status = response.status_code
    if status == 429 or body.code.startswith(("500.003.", "00.002.")) or status in (502, 503, 504):
        detail = body.describe() if body.code else f"HTTP {status}"
        if status == 503 and _looks_html(response):
            detail = "HTTP 503 with a web page (a firewall or outage page)"
        return DarajaUnavailableError(
            f"Daraja is unavailable or busy ({what}: {detail}).", hint=UNAVAILABLE_HINT, code=body.code, status=status
        )
    return None


# ---------------------------------------------------------------------------------------------------------------
# OAuth


@dataclasses.dataclass(frozen=True)
class AccessToken:
    """An OAuth access token. ``value`` is a ``Secret``: never store or log it; it lasts about an hour (§2.2)."""

    value: Secret
    expires_in: int | None
    environment: Environment
    base_url: str

    def authorization(self) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.value.reveal()}


def _expires_in(raw: Any) -> int | None:
    """``expires_in`` is a JSON string in live captures and a number in the Daraja 3 page: accept both (§2.2)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def token_from_reply(response: requests.Response, environment: Environment, base_url: str) -> AccessToken:
    """Turn an OAuth reply into a token, or raise the matching ``DarajaError`` (§2.2, §2.3, §1)."""
    status = response.status_code
    data = _json(response) if not _looks_html(response) or _is_json(response) else None
    body = _error_body(data)
    where = f"OAuth, {environment}"
    if status == 200:
        token = data.get("access_token") if isinstance(data, dict) else None
        if isinstance(token, str) and token.strip():
            return AccessToken(
                value=Secret(token.strip()),
                expires_in=_expires_in(data.get("expires_in") if isinstance(data, dict) else None),
                environment=environment,
                base_url=base_url,
            )
        if _looks_html(response):
            server = response.headers.get("Server", "")
            raise DarajaUnexpectedReplyError(
                f"Daraja answered the token request with a web page instead of a token ({where}, HTTP 200"
                + (f", Server: {server[:60]}" if server else "")
                + "): the request reached a web portal or a proxy, not the API host.",
                hint="Check that no proxy or captive portal intercepts the connection, then try again.",
                status=status,
            )
        raise DarajaUnexpectedReplyError(
            f"Daraja answered the token request with HTTP 200 but no access token ({where}).",
            hint="Try again; if it persists, Daraja has changed its OAuth answer: report it.",
            status=status,
        )
    outage = _outage(response, body, where)
    if outage is not None:
        raise outage
    reason = (response.reason or "").casefold()
    text = f"{body.code} {body.message} {reason}".casefold()
    if body.code == "400.008.02" or "grant type" in text:
        raise DarajaUnexpectedReplyError(
            f"Daraja refused the token request's grant type ({where}: {body.describe()}).",
            hint="This is a defect of mpesa-agent: report it.",
            code=body.code,
            status=status,
        )
    if (
        status in (401, 403)
        or body.code == "400.008.01"
        or "invalid authentication" in text
        or "invalid credentials" in text
        or is_invalid_access_token(text)
        or (status == 400 and not body.code)
    ):
        raise DarajaAuthError(
            f"Daraja refused the consumer key and secret ({where}: "
            + (body.describe() if body.code or body.message else f"HTTP {status} {response.reason or ''}".strip())
            + ").",
            hint=KEYS_HINT,
            code=body.code or None,
            status=status,
        )
    raise DarajaUnexpectedReplyError(
        f"Daraja answered the token request unexpectedly ({where}: HTTP {status}"
        + (f", {body.describe()}" if body.code else "")
        + ").",
        hint="Try again later; if it persists, report it.",
        code=body.code or None,
        status=status,
    )


def _basic(consumer_key: Secret, consumer_secret: Secret) -> str:
    raw = f"{consumer_key.reveal()}:{consumer_secret.reveal()}".encode()
    encoded = base64.b64encode(raw).decode("ascii")
    Secret(encoded)  # remember the encoded form too, so redaction masks it if it ever surfaces
    return "Basic " + encoded


# ---------------------------------------------------------------------------------------------------------------
# SecurityCredential (§4)


def load_public_key(certificate: bytes) -> rsa.RSAPublicKey:
    """The RSA public key of an X.509 certificate (PEM or DER), or of a PEM ``PUBLIC KEY``."""
    key: Any
    try:
        if b"-----BEGIN PUBLIC KEY-----" in certificate:
            key = serialization.load_pem_public_key(certificate.strip())
        elif b"-----BEGIN" in certificate:
            key = x509.load_pem_x509_certificate(certificate.strip()).public_key()
        else:  # DER is binary: never strip it (its last byte may look like whitespace)
            key = x509.load_der_x509_certificate(certificate).public_key()
    except ValueError as exc:
        raise DarajaConfigError("The Daraja certificate cannot be read (not an X.509 certificate).") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise DarajaConfigError("The Daraja certificate does not hold an RSA key.")
    return key


def security_credential(password: Secret, certificate_pem: bytes) -> Secret:
    """Base64 of RSA PKCS#1 v1.5 encryption of the raw password with the environment's certificate (§4.1).

    The padding is random, so every call gives a different (and valid) value; 2048-bit keys give 344 characters.
    """
    if not password:
        raise DarajaConfigError("The initiator password is empty.")
    key = load_public_key(certificate_pem)
    try:
        ciphertext = key.encrypt(password.reveal().encode("utf-8"), padding.PKCS1v15())
    except ValueError:
        raise DarajaConfigError("The initiator password is too long to encrypt with this certificate.") from None
    return Secret(base64.b64encode(ciphertext).decode("ascii"))


# ---------------------------------------------------------------------------------------------------------------
# Account Balance / Transaction Status requests (§3.2, §3.3)


@dataclasses.dataclass(frozen=True)
class ApiRequest:
    """One query: its path name, the plain fields, and the SecurityCredential kept apart (revealed only in ``body``)."""

    endpoint: Literal["account_balance", "transaction_status"]
    fields: Mapping[str, str]
    credential: Secret = dataclasses.field(repr=False)

    def body(self) -> dict[str, str]:
        """The JSON body to send (holds the SecurityCredential: never log it)."""
        out = dict(self.fields)
        out["SecurityCredential"] = self.credential.reveal()
        return out


def _identifier(identifier_type: str | int) -> str:
    value = IDENTIFIER_TYPES.get(str(identifier_type), str(identifier_type))
    if value not in IDENTIFIER_TYPES.values():
        raise DarajaConfigError(f"Unknown IdentifierType {identifier_type!r} (use paybill/4, till/2 or msisdn/1).")
    return value


def _common(
    *, initiator: str, party_a: str, identifier_type: str | int, result_url: str, queue_timeout_url: str, remarks: str
) -> dict[str, str]:
    if not initiator.strip():
        raise DarajaConfigError("The initiator name is empty.")
    party = str(party_a).strip()
    if not party.isdigit():
        raise DarajaConfigError(f"PartyA must be digits (a short code or an MSISDN), not {party!r}.")
    if len(remarks) > MAX_REMARKS:
        raise DarajaConfigError(f"Remarks are limited to {MAX_REMARKS} characters.")
    for name, url in (("ResultURL", result_url), ("QueueTimeOutURL", queue_timeout_url)):
        if urlsplit(url).scheme not in ("http", "https"):
            raise DarajaConfigError(f"{name} must be an http(s) URL.")
    return {
        "Initiator": initiator.strip(),
        "PartyA": party,
        "IdentifierType": _identifier(identifier_type),
        "Remarks": remarks,
        "QueueTimeOutURL": queue_timeout_url,
        "ResultURL": result_url,
    }


def account_balance_request(
    *,
    initiator: str,
    credential: Secret,
    party_a: str,
    result_url: str,
    queue_timeout_url: str,
    identifier_type: str | int = "paybill",
    remarks: str = "Account balance",
) -> ApiRequest:
    """An Account Balance query (``CommandID AccountBalance``; role "Balance Query ORG API")."""
    fields = _common(
        initiator=initiator,
        party_a=party_a,
        identifier_type=identifier_type,
        result_url=result_url,
        queue_timeout_url=queue_timeout_url,
        remarks=remarks,
    )
    fields["CommandID"] = "AccountBalance"
    return ApiRequest("account_balance", fields, credential)


def transaction_status_request(
    *,
    initiator: str,
    credential: Secret,
    party_a: str,
    result_url: str,
    queue_timeout_url: str,
    transaction_id: str | None = None,
    original_conversation_id: str | None = None,
    identifier_type: str | int = "paybill",
    remarks: str = "Transaction Status Query",
    occasion: str = "",
) -> ApiRequest:
    """A Transaction Status query by receipt (``TransactionID``) or by ``OriginalConversationID`` (D1 spelling)."""
    if not (transaction_id or original_conversation_id):
        raise DarajaConfigError("A Transaction Status query needs a TransactionID or an OriginalConversationID.")
    if len(occasion) > MAX_REMARKS:
        raise DarajaConfigError(f"Occasion is limited to {MAX_REMARKS} characters.")
    fields = _common(
        initiator=initiator,
        party_a=party_a,
        identifier_type=identifier_type,
        result_url=result_url,
        queue_timeout_url=queue_timeout_url,
        remarks=remarks,
    )
    fields["CommandID"] = "TransactionStatusQuery"
    if transaction_id:
        fields["TransactionID"] = transaction_id.strip()
    if original_conversation_id:
        fields["OriginalConversationID"] = original_conversation_id.strip()
    fields["Occasion"] = occasion
    return ApiRequest("transaction_status", fields, credential)


@dataclasses.dataclass(frozen=True)
class Acceptance:
    """The synchronous answer (§3.4): only a receipt, never a verdict on the initiator."""

    originator_conversation_id: str
    conversation_id: str
    response_code: str
    response_description: str


def acceptance_from_reply(response: requests.Response, what: str) -> Acceptance:
    """Turn a query's synchronous reply into an ``Acceptance`` or raise the matching ``DarajaError`` (§3.4, §3.5)."""
    data = _json(response)
    body = _error_body(data)
    status = response.status_code
    if status == 200 and isinstance(data, dict) and "ResponseCode" in data:
        code = str(data.get("ResponseCode", "")).strip()
        if code == ACCEPTED:
            return Acceptance(
                originator_conversation_id=str(data.get("OriginatorConversationID", "")),
                conversation_id=str(data.get("ConversationID", "")),
                response_code=code,
                response_description=clean_message(str(data.get("ResponseDescription", ""))),
            )
        raise DarajaUnexpectedReplyError(
            f"Daraja did not accept the {what} (ResponseCode {code[:20]}: "
            f"{clean_message(str(data.get('ResponseDescription', '')))}).",
            code=code,
            status=status,
        )
    text = f"{body.code} {body.message}"
    if is_invalid_access_token(text) or "apiproduct" in text.casefold():
        product = "apiproduct" in text.casefold() or body.code == "401.001"
        raise DarajaTokenError(
            f"Daraja refused the access token for the {what} ({body.describe()}).",
            hint=(
                "Add the product (Transaction Status / Account Balance) to the app on the Daraja portal."
                if product
                else "The token expired or belongs to another environment, or the app lacks this product: fetch a "
                "new token from the same environment, and check the app's products on the Daraja portal."
            ),
            code=body.code or None,
            status=status,
        )
    outage = _outage(response, body, what)
    if outage is not None:
        raise outage
    if body.code.startswith("400.002.") or (status == 400 and "bad request" in body.message.casefold()):
        match = re.search(r"invalid\s+(\w+)", body.message, re.IGNORECASE)
        field = match.group(1) if match else ""
        raise DarajaRequestError(
            f"Daraja refused the {what}: {body.describe()}.",
            hint=f"Check the {field or 'request'} value (and that it is sent as JSON).",
            code=body.code or None,
            field=field,
        )
    raise DarajaUnexpectedReplyError(
        f"Daraja answered the {what} unexpectedly (HTTP {status}"
        + (f", {body.describe()}" if body.code else "")
        + ").",
        code=body.code or None,
        status=status,
    )


# ---------------------------------------------------------------------------------------------------------------
# the client


class DarajaClient:
    """Talks to one Daraja environment. Use as a context manager, or ``close()`` it."""

    def __init__(
        self,
        environment: str,
        *,
        base_url: str | None = None,
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retries: int = 2,
    ) -> None:
        self.environment = check_environment(environment)
        self.base_url = base_url_for(self.environment, base_url)
        self._own_session = session is None
        self.session = session or make_session(retries=retries)
        self.timeout = timeout

    def __enter__(self) -> DarajaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def fetch_token(self, consumer_key: Secret, consumer_secret: Secret) -> AccessToken:
        """``GET /oauth/v1/generate?grant_type=client_credentials`` with Basic auth (§2.1); retried if idempotent."""
        if not consumer_key or not consumer_secret:
            raise DarajaConfigError("The consumer key and secret must not be empty.")
        path = path_of("oauth")
        try:
            response = self.session.get(
                self.base_url + path,
                params={"grant_type": "client_credentials"},
                headers={"Authorization": _basic(consumer_key, consumer_secret)},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise unavailable_error(f"OAuth, {self.environment}", exc) from None
        log.debug("GET %s -> %s", path, response.status_code)
        return token_from_reply(response, self.environment, self.base_url)

    def submit(self, request: ApiRequest, token: AccessToken) -> Acceptance:
        """POST a query with the token (never retried: a retry could run it twice). Returns the acceptance."""
        if token.base_url != self.base_url:
            raise DarajaConfigError("The access token belongs to another Daraja host.")
        path = path_of(request.endpoint)
        what = request.endpoint.replace("_", " ") + " query"
        headers = {"Content-Type": "application/json", **token.authorization()}
        try:
            response = self.session.post(
                self.base_url + path,
                json=request.body(),
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise unavailable_error(what + " (it may or may not have been accepted)", exc) from None
        log.debug("POST %s -> %s", path, response.status_code)
        return acceptance_from_reply(response, what)


def fetch_token(
    environment: str,
    consumer_key: Secret,
    consumer_secret: Secret,
    *,
    base_url: str | None = None,
    session: requests.Session | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    retries: int = 2,
) -> AccessToken:
    """Fetch an OAuth token from ``environment`` (or the loopback mock at ``base_url``); see ``token_from_reply``."""
    with DarajaClient(environment, base_url=base_url, session=session, timeout=timeout, retries=retries) as client:
        return client.fetch_token(consumer_key, consumer_secret)


def verify_consumer_credentials(
    environment: str,
    consumer_key: Secret,
    consumer_secret: Secret,
    *,
    base_urls: Mapping[str, str] | None = None,
    probe_other: bool = True,
    session: requests.Session | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    retries: int = 2,
) -> AccessToken:
    """``fetch_token``; when the keys are refused, try the other environment once (§5.2 checker rules).

    If the other environment accepts them, ``DarajaWrongEnvironmentError`` says so; otherwise the first refusal is
    raised. ``base_urls`` maps an environment to its loopback mock (an environment left out uses Safaricom's host);
    the other environment is probed only when both are Safaricom's hosts or both are mocks.
    """
    env = check_environment(environment)
    urls = dict(base_urls or {})
    try:
        return fetch_token(
            env,
            consumer_key,
            consumer_secret,
            base_url=urls.get(env),
            session=session,
            timeout=timeout,
            retries=retries,
        )
    except DarajaAuthError as refused:
        other = other_environment(env)
        # Never mix the loopback mock with Safaricom's hosts: probe only when both are real or both are mocked.
        if not probe_other or ((env in urls) != (other in urls)):
            raise
        try:
            fetch_token(
                other,
                consumer_key,
                consumer_secret,
                base_url=urls.get(other),
                session=session,
                timeout=timeout,
                retries=retries,
            )
        except DarajaError:
            raise refused from None
        raise DarajaWrongEnvironmentError(
            f"The consumer key and secret belong to a Daraja {other} app, not to {env}.",
            hint=f"Choose the {other} environment, or copy the keys of your {env} app from the Daraja portal.",
            works_in=other,
        ) from None


# ---------------------------------------------------------------------------------------------------------------
# the asynchronous result (§3.7)


@dataclasses.dataclass(frozen=True)
class DarajaResult:
    """A result POSTed to the ResultURL; ``result_code`` normalised to text (``"0"``, ``"2001"``, ``"SFC_IC0003"``)."""

    result_code: str
    result_desc: str
    result_type: str
    originator_conversation_id: str
    conversation_id: str
    transaction_id: str
    parameters: Mapping[str, str]


def _items(raw: Any) -> list[dict[str, Any]]:
    """``ResultParameter``/``ReferenceItem``: an array of ``{Key, Value}`` or a single object (§3.7)."""
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        return [item for item in raw if isinstance(item, dict)]
    return []


def parse_result(payload: Any) -> DarajaResult:
    """Parse a result, with or without the ``Result`` envelope (numbers or strings); ``ValueError`` if not one."""
    result = payload.get("Result", payload) if isinstance(payload, dict) else None
    if not isinstance(result, dict) or "ResultCode" not in result:
        raise ValueError("not a Daraja result (no Result.ResultCode)")
    params: dict[str, str] = {}
    container = result.get("ResultParameters")
    if isinstance(container, dict):
        for item in _items(container.get("ResultParameter")):
            if "Key" in item:
                params[str(item["Key"])] = "" if item.get("Value") is None else str(item.get("Value"))
    return DarajaResult(
        result_code=str(result.get("ResultCode")).strip(),
        result_desc=str(result.get("ResultDesc", "")),
        result_type=str(result.get("ResultType", "")),
        originator_conversation_id=str(result.get("OriginatorConversationID", "")),
        conversation_id=str(result.get("ConversationID", "")),
        transaction_id=str(result.get("TransactionID", "")),
        parameters=params,
    )


@dataclasses.dataclass(frozen=True)
class InitiatorVerdict:
    """What a result says about the initiator: ``ok``, ``problem`` or ``unknown``, with the meaning and the fix."""

    status: Literal["ok", "problem", "unknown"]
    code: str | None
    meaning: str
    fix: str


_RESULT_MEANINGS: dict[str, tuple[Literal["ok", "problem"], str, str]] = {
    "0": ("ok", "The initiator was accepted (the request was processed).", ""),
    "2032": (
        "ok",
        "The initiator was accepted (the receipt asked about does not exist, which only a valid initiator learns).",
        "",
    ),
    "2001": (
        "problem",
        "The initiator information is invalid: a wrong user name or password, a password encrypted with the wrong "
        "environment's certificate, an operator that is not Active (Pending Active, dormant, expired password), or "
        "an initiator that does not belong to this short code.",
        "Check the initiator's name and status on the Org Portal and that the plugin's environment matches the app; "
        "if they are right, set a new API password and push it again.",
    ),
    "21": (
        "problem",
        "The initiator is not allowed to make this request: the API operator lacks the role.",
        "Give the API operator the role on the Org Portal (Transaction Status query ORG API / Balance Query ORG API).",
    ),
    "8006": (
        "problem",
        "The security credential is locked after repeated failures.",
        "Ask the Business Administrator to unlock the API operator on the Org Portal, then set its password again.",
    ),
    "SFC_IC0003": (
        "problem",
        "The operator does not exist (often a till number used where the store number belongs).",
        "Use the store number as the organisation short code, and the till number only as the till.",
    ),
}


def initiator_verdict(result: DarajaResult | None) -> InitiatorVerdict:
    """Map a result (or none within the wait) to a verdict on the initiator (§3.6, §3.7). No answer is never ``ok``."""
    if result is None:
        return InitiatorVerdict(
            "unknown",
            None,
            "No result arrived in time; Daraja reports a wrong initiator only in the asynchronous result, and "
            "sometimes sends none at all.",
            "Try again later; a real Daraja needs a public ResultURL to report back.",
        )
    known = _RESULT_MEANINGS.get(result.result_code)
    if known is None:
        return InitiatorVerdict(
            "unknown",
            result.result_code,
            f"Daraja answered {result.result_code}: {clean_message(result.result_desc)}",
            "See the Daraja result codes; this one does not say whether the initiator is valid.",
        )
    status, meaning, fix = known
    return InitiatorVerdict(status, result.result_code, meaning, fix)
