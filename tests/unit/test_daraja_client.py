"""The Daraja client against the reference's exact replies (daraja.md §2, §3), with ``responses``.

OAuth: success (``expires_in`` as a string and as a number), 400.008.01, the older empty 400, 400.008.02, the
developer portal's HTML 200, a 200 without a token, 503 (retried, then unavailable), no connection. Queries: the
synchronous acceptance, every "Invalid Access Token" variant (matched by text), "no apiproduct match", 400.002.02,
spike arrest, and that a POST is never retried. Base URLs: only loopback may replace Safaricom's hosts.
SecurityCredential: RSA PKCS#1 v1.5 + Base64, 344 characters, decryptable with the private key.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from agent.errors import AuthError, ExitStatus
from agent.golive import daraja
from agent.golive.daraja import (
    DarajaAuthError,
    DarajaClient,
    DarajaConfigError,
    DarajaRequestError,
    DarajaTokenError,
    DarajaUnavailableError,
    DarajaUnexpectedReplyError,
    DarajaWrongEnvironmentError,
    base_url_for,
    fetch_token,
    initiator_verdict,
    parse_result,
    security_credential,
    transaction_status_request,
    verify_consumer_credentials,
)
from agent.secret import Secret

pytestmark = pytest.mark.unit

SANDBOX = "https://sandbox.safaricom.co.ke"
PRODUCTION = "https://api.safaricom.co.ke"
OAUTH = "/oauth/v1/generate"
TS = "/mpesa/transactionstatus/v1/query"
KEY = "CanaryKeyA1b2C3d4E5f6G7h8I9j0K1l2"
SECRET = "CanarySecret9x8y"
TOKEN = "c9SQxWWhmdVRlyh0zh8gZDTkubVF"  # the reference's sample token (28 characters)
JSON = "application/json;charset=UTF-8"


def creds() -> tuple[Secret, Secret]:
    return Secret(KEY), Secret(SECRET)


def fetch(environment: str = "sandbox", **kwargs: object) -> daraja.AccessToken:
    key, secret = creds()
    return fetch_token(environment, key, secret, retries=0, **kwargs)  # type: ignore[arg-type]


def secrets_absent(text: str) -> None:
    for value in (KEY, SECRET, TOKEN, base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()):
        assert value not in text


def all_text(exc: BaseException) -> str:
    hint = getattr(exc, "hint", "") or ""
    return f"{exc} {exc!r} {hint} {exc.args}"


# ---------------------------------------------------------------------------------------------------------------
# OAuth


@responses.activate
@pytest.mark.parametrize("expires", ["3599", 3599])
def test_token_success_sends_basic_auth_and_reads_expires_in_as_string_or_number(expires: object) -> None:
    responses.get(SANDBOX + OAUTH, json={"access_token": TOKEN, "expires_in": expires}, content_type=JSON, status=200)
    token = fetch()
    assert token.value.reveal() == TOKEN
    assert token.expires_in == 3599
    assert token.environment == "sandbox"
    assert repr(token).count(TOKEN) == 0
    call = responses.calls[0]
    assert call.request.method == "GET"
    assert parse_qs(urlsplit(call.request.url).query) == {"grant_type": ["client_credentials"]}
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert call.request.req_kwargs["timeout"] == daraja.DEFAULT_TIMEOUT


@responses.activate
def test_production_uses_the_production_host() -> None:
    responses.get(PRODUCTION + OAUTH, json={"access_token": TOKEN, "expires_in": "3599"}, content_type=JSON)
    assert fetch("production").base_url == PRODUCTION


@responses.activate
def test_wrong_key_or_secret_400_008_01_is_an_auth_error_exit_4() -> None:
    body = {"requestId": "43301-58413611-1", "errorCode": "400.008.01", "errorMessage": "Invalid Authentication passed"}
    responses.get(SANDBOX + OAUTH, json=body, status=400, content_type=JSON)
    with pytest.raises(DarajaAuthError) as caught:
        fetch()
    exc = caught.value
    assert isinstance(exc, AuthError)
    assert exc.exit_status == ExitStatus.AUTH == 4
    assert exc.code == "400.008.01"
    assert "Invalid Authentication passed" in exc.message
    assert "43301-58413611-1" in exc.message
    assert exc.hint
    assert "Consumer Key" in exc.hint
    secrets_absent(all_text(exc))


@responses.activate
def test_older_empty_400_is_an_auth_error() -> None:
    responses.get(SANDBOX + OAUTH, body=b"", status=400)
    with pytest.raises(DarajaAuthError):
        fetch()


@responses.activate
def test_401_is_an_auth_error() -> None:
    responses.get(SANDBOX + OAUTH, body=b"", status=401)
    with pytest.raises(DarajaAuthError):
        fetch()


@responses.activate
def test_invalid_grant_type_is_our_defect_not_the_keys() -> None:
    body = {"requestId": "11259-2330641-1", "errorCode": "400.008.02", "errorMessage": "Invalid grant type passed"}
    responses.get(SANDBOX + OAUTH, json=body, status=400, content_type=JSON)
    with pytest.raises(DarajaUnexpectedReplyError) as caught:
        fetch()
    assert not isinstance(caught.value, AuthError)
    assert caught.value.exit_status == ExitStatus.ERROR


@responses.activate
def test_html_200_from_the_developer_portal_is_a_failure() -> None:
    responses.get(
        SANDBOX + OAUTH,
        body="<!DOCTYPE html><html><head><title>Daraja</title></head><body>portal</body></html>",
        status=200,
        content_type="text/html",
        headers={"Server": "Apigee SPA Proxy"},
    )
    with pytest.raises(DarajaUnexpectedReplyError) as caught:
        fetch()
    assert "web page" in caught.value.message
    assert "Apigee SPA Proxy" in caught.value.message
    assert not isinstance(caught.value, AuthError)


@responses.activate
@pytest.mark.parametrize(
    "body",
    [{}, {"expires_in": "3599"}, {"access_token": "", "expires_in": "3599"}, {"access_token": None}, ["x"]],
)
def test_200_without_a_json_access_token_is_a_failure(body: object) -> None:
    responses.get(SANDBOX + OAUTH, json=body, status=200, content_type=JSON)
    with pytest.raises(DarajaUnexpectedReplyError):
        fetch()


@responses.activate
def test_200_with_a_non_json_body_is_a_failure() -> None:
    responses.get(SANDBOX + OAUTH, body="access_token=abc", status=200, content_type="text/plain")
    with pytest.raises(DarajaUnexpectedReplyError):
        fetch()


@responses.activate
def test_503_waf_page_is_unavailable_and_retryable() -> None:
    responses.get(
        SANDBOX + OAUTH,
        body="<html>Request unsuccessful. Incapsula incident ID: 123</html>",
        status=503,
        content_type="text/html",
    )
    with pytest.raises(DarajaUnavailableError) as caught:
        fetch()
    assert caught.value.retryable is True
    assert caught.value.status == 503
    assert "503" in caught.value.message


@responses.activate
def test_the_token_get_is_retried_on_503_then_succeeds() -> None:
    responses.get(SANDBOX + OAUTH, body="<html>busy</html>", status=503, content_type="text/html")
    responses.get(SANDBOX + OAUTH, json={"access_token": TOKEN, "expires_in": "3599"}, content_type=JSON)
    key, secret = creds()
    token = fetch_token("sandbox", key, secret, retries=2, session=_no_backoff_session(2))
    assert token.value.reveal() == TOKEN
    assert len(responses.calls) == 2


def _no_backoff_session(retries: int) -> requests.Session:
    session = daraja.make_session(retries=retries)
    for adapter in session.adapters.values():
        adapter.max_retries.backoff_factor = 0  # type: ignore[attr-defined]
    return session


@responses.activate
@pytest.mark.parametrize(
    ("code", "message"), [("500.003.02", "Error Occurred: Spike Arrest Violation"), ("500.003.03", "Quota Violation")]
)
def test_rate_limits_are_unavailable(code: str, message: str) -> None:
    responses.get(SANDBOX + OAUTH, json={"errorCode": code, "errorMessage": message}, status=500, content_type=JSON)
    with pytest.raises(DarajaUnavailableError):
        fetch()


@responses.activate
def test_no_connection_is_unavailable() -> None:
    responses.get(SANDBOX + OAUTH, body=requests.ConnectionError("refused"))
    with pytest.raises(DarajaUnavailableError) as caught:
        fetch()
    assert "could not be reached" in caught.value.message


@responses.activate
def test_timeout_is_unavailable() -> None:
    responses.get(SANDBOX + OAUTH, body=requests.ReadTimeout("slow"))
    with pytest.raises(DarajaUnavailableError) as caught:
        fetch()
    assert "timed out" in caught.value.message


def test_empty_credentials_are_refused_before_any_request() -> None:
    with pytest.raises(DarajaConfigError):
        fetch_token("sandbox", Secret(""), Secret(SECRET))


# ---------------------------------------------------------------------------------------------------------------
# the other environment (reference §5.2 checker rules)


@responses.activate
def test_keys_of_the_other_environment_are_named() -> None:
    refusal = {"requestId": "1", "errorCode": "400.008.01", "errorMessage": "Invalid Authentication passed"}
    responses.get(PRODUCTION + OAUTH, json=refusal, status=400, content_type=JSON)
    responses.get(SANDBOX + OAUTH, json={"access_token": TOKEN, "expires_in": "3599"}, content_type=JSON)
    key, secret = creds()
    with pytest.raises(DarajaWrongEnvironmentError) as caught:
        verify_consumer_credentials("production", key, secret, retries=0)
    assert caught.value.works_in == "sandbox"
    assert caught.value.exit_status == ExitStatus.AUTH
    assert "sandbox app" in caught.value.message


@responses.activate
def test_keys_refused_everywhere_give_the_first_refusal() -> None:
    refusal = {"requestId": "1", "errorCode": "400.008.01", "errorMessage": "Invalid Authentication passed"}
    responses.get(PRODUCTION + OAUTH, json=refusal, status=400, content_type=JSON)
    responses.get(SANDBOX + OAUTH, json=refusal, status=400, content_type=JSON)
    key, secret = creds()
    with pytest.raises(DarajaAuthError) as caught:
        verify_consumer_credentials("production", key, secret, retries=0)
    assert not isinstance(caught.value, DarajaWrongEnvironmentError)
    assert "production" in caught.value.message


# ---------------------------------------------------------------------------------------------------------------
# base URLs


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://localhost:81/", "http://[::1]:9", "http://127.9.9.9"])
def test_a_loopback_override_is_accepted(url: str) -> None:
    assert base_url_for("sandbox", url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example",
        "https://sandbox.safaricom.co.ke.evil.example",
        "http://10.0.0.1:8080",
        "http://0.0.0.0:80",
        "ftp://127.0.0.1/",
        "127.0.0.1:5000",
        "https://developer.safaricom.co.ke",
    ],
)
def test_any_other_override_is_refused(url: str) -> None:
    with pytest.raises(DarajaConfigError):
        base_url_for("sandbox", url)


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(DarajaConfigError):
        base_url_for("live")


def test_hosts_come_from_the_config() -> None:
    assert base_url_for("sandbox") == SANDBOX
    assert base_url_for("production") == PRODUCTION


# ---------------------------------------------------------------------------------------------------------------
# queries


def _token(environment: str = "sandbox", base: str = SANDBOX) -> daraja.AccessToken:
    return daraja.AccessToken(Secret(TOKEN), 3599, environment, base)  # type: ignore[arg-type]


def _ts_request() -> daraja.ApiRequest:
    return transaction_status_request(
        initiator="apiop",
        credential=Secret("Q" * 344),
        party_a="600000",
        identifier_type="paybill",
        result_url="https://checker.example/result",
        queue_timeout_url="https://checker.example/timeout",
        transaction_id="NEF61H8J60",
        occasion="Reconciliation",
    )


@responses.activate
def test_query_acceptance_and_body() -> None:
    accepted = {
        "OriginatorConversationID": "1236-7134259-1",
        "ConversationID": "AG_20210709_1234409f86436c583e3f",
        "ResponseCode": "0",
        "ResponseDescription": "Accept the service request successfully.",
    }
    responses.post(SANDBOX + TS, json=accepted, content_type=JSON)
    with DarajaClient("sandbox", retries=0) as client:
        acceptance = client.submit(_ts_request(), _token())
    assert acceptance.originator_conversation_id == "1236-7134259-1"
    assert acceptance.response_code == "0"
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Bearer " + TOKEN
    assert sent.headers["Content-Type"] == "application/json"
    body = __import__("json").loads(sent.body)
    assert body["CommandID"] == "TransactionStatusQuery"
    assert body["IdentifierType"] == "4"
    assert body["PartyA"] == "600000"
    assert body["TransactionID"] == "NEF61H8J60"
    assert body["Occasion"] == "Reconciliation"
    assert body["SecurityCredential"] == "Q" * 344
    assert sent.req_kwargs["timeout"] == daraja.DEFAULT_TIMEOUT
    assert "Q" * 344 not in repr(_ts_request())


@responses.activate
@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (404, "404.001.03", "Invalid Access Token"),
        (401, "401.002.01", f"Error Occurred - Invalid Access Token - {TOKEN}"),
        (401, "401.002.01", "Error Occurred - Invalid Access Token - Invalid access token"),
        (400, "400.003.01", "Invalid Access Token"),
        (404, "404.001.04", "Invalid Access Token"),
        (401, "401.001", "Invalid Access Token"),
        (401, "", "Invalid API call as no apiproduct match found"),
    ],
)
def test_every_invalid_access_token_variant_is_a_token_error(status: int, code: str, message: str) -> None:
    responses.post(
        SANDBOX + TS,
        json={"requestId": "6e86-45dd-91ac-fd5d4178ab523792718", "errorCode": code, "errorMessage": message},
        status=status,
        content_type=JSON,
    )
    with DarajaClient("sandbox", retries=0) as client, pytest.raises(DarajaTokenError) as caught:
        client.submit(_ts_request(), _token())
    assert caught.value.exit_status == ExitStatus.AUTH
    secrets_absent(all_text(caught.value))


def test_clean_message_drops_an_echoed_token_even_if_unknown() -> None:
    assert daraja.clean_message("Error Occurred - Invalid Access Token - ZZunknownTok3n") == (
        "Error Occurred - Invalid Access Token"
    )


@responses.activate
def test_bad_field_is_a_request_error_naming_the_field() -> None:
    body = {"requestId": "1", "errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid PartyA"}
    responses.post(SANDBOX + TS, json=body, status=400, content_type=JSON)
    with DarajaClient("sandbox", retries=0) as client, pytest.raises(DarajaRequestError) as caught:
        client.submit(_ts_request(), _token())
    assert caught.value.field == "PartyA"


@responses.activate
def test_a_query_post_is_never_retried() -> None:
    responses.post(SANDBOX + TS, body="<html>busy</html>", status=503, content_type="text/html")
    with DarajaClient("sandbox", retries=3) as client, pytest.raises(DarajaUnavailableError):
        client.submit(_ts_request(), _token())
    assert len(responses.calls) == 1


def test_a_token_of_another_host_is_refused() -> None:
    with DarajaClient("production", retries=0) as client, pytest.raises(DarajaConfigError):
        client.submit(_ts_request(), _token())


def test_request_builders_validate() -> None:
    with pytest.raises(DarajaConfigError):
        transaction_status_request(
            initiator="a",
            credential=Secret("x"),
            party_a="600000",
            result_url="https://x/r",
            queue_timeout_url="https://x/t",
        )
    with pytest.raises(DarajaConfigError):
        daraja.account_balance_request(
            initiator="a",
            credential=Secret("x"),
            party_a="60x",
            result_url="https://x/r",
            queue_timeout_url="https://x/t",
        )
    ab = daraja.account_balance_request(
        initiator="a",
        credential=Secret("x"),
        party_a="600000",
        identifier_type="till",
        result_url="https://x/r",
        queue_timeout_url="https://x/t",
    )
    assert ab.fields["IdentifierType"] == "2"
    assert ab.fields["CommandID"] == "AccountBalance"


# ---------------------------------------------------------------------------------------------------------------
# SecurityCredential


def _certificate(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "apicrypt.test.invalid")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
def test_security_credential_is_pkcs1v15_base64_of_the_raw_password(
    rsa_key: rsa.RSAPrivateKey, encoding: serialization.Encoding
) -> None:
    certificate = _certificate(rsa_key).public_bytes(encoding)
    password = Secret("Api#Canary2030")
    first = security_credential(password, certificate)
    second = security_credential(password, certificate)
    assert len(first.reveal()) == 344
    assert first.reveal() != second.reveal()  # random padding
    for value in (first, second):
        plain = rsa_key.decrypt(base64.b64decode(value.reveal()), padding.PKCS1v15())
        assert plain == b"Api#Canary2030"
    assert "Api#Canary2030" not in repr(first)
    assert first.reveal() not in str(first)


def test_security_credential_refuses_a_non_rsa_certificate() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(DarajaConfigError):
        security_credential(Secret("x"), _certificate(key).public_bytes(serialization.Encoding.PEM))
    with pytest.raises(DarajaConfigError):
        security_credential(Secret("x"), b"not a certificate")


def test_der_certificates_ending_in_a_whitespace_byte_are_read_whole(rsa_key: rsa.RSAPrivateKey) -> None:
    """DER is binary; a last byte such as 0x20 or 0x0a must not be stripped (this once failed at random)."""
    for serial in range(1, 200):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "apicrypt.test.invalid")])
        now = dt.datetime.now(dt.UTC)
        der = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(rsa_key.public_key())
            .serial_number(serial)
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(rsa_key, hashes.SHA256())
            .public_bytes(serialization.Encoding.DER)
        )
        if der[-1:].isspace():
            assert len(security_credential(Secret("x"), der).reveal()) == 344
            return
    pytest.skip("no DER certificate ending in a whitespace byte was made")


def test_security_credential_refuses_an_oversized_password(rsa_key: rsa.RSAPrivateKey) -> None:
    certificate = _certificate(rsa_key).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(DarajaConfigError) as caught:
        security_credential(Secret("P" * 300), certificate)
    assert "P" * 300 not in str(caught.value)


# ---------------------------------------------------------------------------------------------------------------
# results (§3.7)


def test_parse_the_reference_results() -> None:
    not_found = {
        "Result": {
            "ResultCode": 2032,
            "ResultDesc": "The transaction receipt number does not exist.",
            "ResultType": 0,
            "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": "Reconciliation"}},
            "TransactionID": "UIS1000000",
            "ConversationID": "AG_20260928_010010540tvw69rpls5n",
            "OriginatorConversationID": "4327-461f-a3cc-e70d7a42ce475713",
        }
    }
    result = parse_result(not_found)
    assert result.result_code == "2032"
    assert result.parameters == {}
    assert initiator_verdict(result).status == "ok"
    # the 2001 sample is shown without the envelope, with a single ResultParameter and a numeric value
    wrong = {
        "ResultDesc": "The initiator information is invalid.",
        "ConversationID": "AG_20200625_0000650ea6a99ae1c0bb",
        "TransactionID": "OFP0000000",
        "ResultParameters": {"ResultParameter": {"Key": "BOCompletedTime", "Value": 20200625232427}},
        "ResultCode": 2001,
        "ReferenceData": {
            "ReferenceItem": {"Value": "https://internalapi.safaricom.co.ke/x", "Key": "QueueTimeoutURL"}
        },
        "OriginatorConversationID": "13443-10746354-1",
        "ResultType": 0,
    }
    result = parse_result(wrong)
    assert result.result_code == "2001"
    assert result.parameters == {"BOCompletedTime": "20200625232427"}
    verdict = initiator_verdict(result)
    assert verdict.status == "problem"
    assert "invalid" in verdict.meaning
    assert parse_result({"Result": {"ResultCode": "0", "ResultType": "0"}}).result_code == "0"
    with pytest.raises(ValueError, match="not a Daraja result"):
        parse_result({"Body": {}})


@pytest.mark.parametrize(("code", "status"), [("0", "ok"), ("21", "problem"), ("8006", "problem"), ("17", "unknown")])
def test_verdicts(code: str, status: str) -> None:
    assert initiator_verdict(parse_result({"ResultCode": code})).status == status


def test_no_result_is_unknown_never_ok() -> None:
    verdict = initiator_verdict(None)
    assert verdict.status == "unknown"
    assert "asynchronous" in verdict.meaning


# ---------------------------------------------------------------------------------------------------------------
# canary


@responses.activate
def test_canary_no_key_secret_or_token_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    responses.get(SANDBOX + OAUTH, json={"access_token": TOKEN, "expires_in": "3599"}, content_type=JSON)
    responses.post(
        SANDBOX + TS,
        json={"errorCode": "401.002.01", "errorMessage": f"Error Occurred - Invalid Access Token - {TOKEN}"},
        status=401,
        content_type=JSON,
    )
    errors: list[str] = []
    with DarajaClient("sandbox", retries=0) as client:
        token = client.fetch_token(*creds())
        try:
            client.submit(_ts_request(), token)
        except DarajaTokenError as exc:
            errors.append(all_text(exc))
    assert errors
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/oauth/v1/generate" in logged  # the client did log, only not the secrets
    secrets_absent(logged + "\n".join(errors) + repr(token))


@responses.activate
def test_a_mocked_environment_is_never_probed_against_safaricom() -> None:
    refusal = {"requestId": "1", "errorCode": "400.008.01", "errorMessage": "Invalid Authentication passed"}
    responses.get("http://127.0.0.1:9" + OAUTH, json=refusal, status=400, content_type=JSON)
    key, secret = creds()
    with pytest.raises(DarajaAuthError):
        verify_consumer_credentials("sandbox", key, secret, base_urls={"sandbox": "http://127.0.0.1:9"}, retries=0)
    assert [c.request.url.split("?")[0] for c in responses.calls] == ["http://127.0.0.1:9" + OAUTH]


@responses.activate
def test_two_mocks_are_probed() -> None:
    refusal = {"requestId": "1", "errorCode": "400.008.01", "errorMessage": "Invalid Authentication passed"}
    responses.get("http://127.0.0.1:9" + OAUTH, json=refusal, status=400, content_type=JSON)
    responses.get("http://127.0.0.1:10" + OAUTH, json={"access_token": TOKEN, "expires_in": "3599"}, content_type=JSON)
    key, secret = creds()
    urls = {"sandbox": "http://127.0.0.1:9", "production": "http://127.0.0.1:10"}
    with pytest.raises(DarajaWrongEnvironmentError):
        verify_consumer_credentials("sandbox", key, secret, base_urls=urls, retries=0)
