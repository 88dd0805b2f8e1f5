"""The sandbox's mock Daraja, end to end over loopback with the agent's own client (agent.golive.daraja).

OAuth success and errors; Transaction Status / Account Balance accepted synchronously whatever the password, then
the result POSTed to a loopback ResultURL: 0 for an Active API operator with the right password and role, 2001 for a
wrong password, a foreign certificate or a closed operator, 21 without the role, 8006 when locked, a forced code;
tokens, fields and ResultURLs refused as the reference says; the portal's state is only read.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses

from agent.golive import daraja
from agent.golive.checks import initiator_finding, token_finding
from agent.golive.daraja import (
    DarajaAuthError,
    DarajaClient,
    DarajaConfigError,
    DarajaRequestError,
    DarajaTokenError,
    DarajaUnavailableError,
    DarajaUnexpectedReplyError,
    initiator_verdict,
    security_credential,
)
from agent.golive.initiator import REAL_DARAJA_UNKNOWN, InitiatorCheck, check_initiator, fetch_certificate
from agent.golive.receiver import ResultReceiver
from agent.sandbox.daraja import CONSUMER_KEY, CONSUMER_SECRET
from agent.sandbox.daraja.server import RunningDaraja, start_daraja
from agent.sandbox.daraja.state import App
from agent.sandbox.portal import SHORTCODE
from agent.sandbox.portal.seed import apply_seed
from agent.sandbox.portal.state import PortalState
from agent.secret import Secret

pytestmark = pytest.mark.unit

API_USER, API_PASSWORD = "sandboxapi", "ApiInit#2030"  # seed.py EXTRAS["api_operator"]
WAIT = 10.0


@pytest.fixture(scope="module")
def portal_state() -> PortalState:
    state = PortalState()
    apply_seed(
        state,
        {
            "extras": ["api_operator"],
            "operators": [
                {
                    "username": "noroleapi",
                    "channels": ["API"],
                    "roles": ["ORG B2C API initiator"],
                    "password": "NoRole#2030x",
                },
                {
                    "username": "lockedapi",
                    "channels": ["API"],
                    "roles": ["Transaction Status query ORG API"],
                    "status": "Locked",
                    "password": "Locked#2030x",
                },
                {
                    "username": "closedapi",
                    "channels": ["API"],
                    "roles": ["Transaction Status query ORG API"],
                    "status": "Closed",
                    "password": "Closed#2030x",
                },
            ],
        },
    )
    return state


@pytest.fixture(scope="module")
def served(portal_state: PortalState) -> Iterator[RunningDaraja]:
    with start_daraja(portal_state=portal_state) as mock:
        yield mock


@pytest.fixture
def mock(served: RunningDaraja) -> RunningDaraja:
    served.state.reset()
    return served


@pytest.fixture
def receiver() -> Iterator[ResultReceiver]:
    with ResultReceiver() as running:
        yield running


def client(mock: RunningDaraja) -> DarajaClient:
    return DarajaClient("sandbox", base_url=mock.url, retries=0, timeout=(2.0, 10.0))


def token(mock: RunningDaraja) -> daraja.AccessToken:
    with client(mock) as c:
        return c.fetch_token(Secret(CONSUMER_KEY), Secret(CONSUMER_SECRET))


def ts_query(
    mock: RunningDaraja,
    receiver: ResultReceiver,
    *,
    user: str = API_USER,
    password: str = API_PASSWORD,
    certificate: bytes | None = None,
    party_a: str = SHORTCODE,
) -> tuple[daraja.Acceptance, daraja.DarajaResult | None]:
    request = daraja.transaction_status_request(
        initiator=user,
        credential=security_credential(Secret(password), certificate or mock.certificate_pem()),
        party_a=party_a,
        result_url=receiver.result_url,
        queue_timeout_url=receiver.timeout_url,
        transaction_id="NEF61H8J60",
        occasion="go-live check",
    )
    with client(mock) as c:
        acceptance = c.submit(request, token(mock))
    return acceptance, receiver.wait_for(acceptance.originator_conversation_id, timeout=WAIT)


# OAuth ---------------------------------------------------------------------------------------------------------


def test_oauth_success_body(mock: RunningDaraja) -> None:
    reply = requests.get(
        mock.url + "/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        auth=(CONSUMER_KEY, CONSUMER_SECRET),
        timeout=5,
    )
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"access_token", "expires_in"}
    assert re.fullmatch(r"[A-Za-z0-9]{28}", body["access_token"])
    assert body["expires_in"] == "3599"
    assert token(mock).expires_in == 3599


def test_oauth_wrong_secret_is_400_008_01_and_an_auth_error(mock: RunningDaraja) -> None:
    reply = requests.get(
        mock.url + "/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        auth=(CONSUMER_KEY, "WrongSecret00000"),
        timeout=5,
    )
    assert reply.status_code == 400
    body = reply.json()
    assert body["errorCode"] == "400.008.01"
    assert body["errorMessage"] == "Invalid Authentication passed"
    assert body["requestId"]
    with client(mock) as c, pytest.raises(DarajaAuthError) as caught:
        c.fetch_token(Secret(CONSUMER_KEY), Secret("WrongSecret00000"))
    assert caught.value.exit_status == 4
    assert "WrongSecret00000" not in f"{caught.value} {caught.value.hint}"


def test_oauth_missing_auth_and_wrong_grant(mock: RunningDaraja) -> None:
    no_auth = requests.get(mock.url + "/oauth/v1/generate", params={"grant_type": "client_credentials"}, timeout=5)
    assert no_auth.status_code == 400
    assert no_auth.json()["errorCode"] == "400.008.01"
    grant = requests.get(
        mock.url + "/oauth/v1/generate",
        params={"grant_type": "password"},
        auth=(CONSUMER_KEY, CONSUMER_SECRET),
        timeout=5,
    )
    assert grant.status_code == 400
    assert grant.json() | {"requestId": ""} == {
        "requestId": "",
        "errorCode": "400.008.02",
        "errorMessage": "Invalid grant type passed",
    }


def test_keys_of_another_environment_are_refused(mock: RunningDaraja) -> None:
    mock.state.register_app(App("ProductionOnlyKey0000000000000000", "ProdSecret000000", environment="production"))
    with client(mock) as c, pytest.raises(DarajaAuthError):
        c.fetch_token(Secret("ProductionOnlyKey0000000000000000"), Secret("ProdSecret000000"))


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("waf_503", DarajaUnavailableError),
        ("html_200", DarajaUnexpectedReplyError),
        ("no_token_200", DarajaUnexpectedReplyError),
        ("bad_credentials_empty", DarajaAuthError),
    ],
)
def test_oauth_fault_knobs(mock: RunningDaraja, mode: str, error: type[Exception]) -> None:
    mock.state.settings.update({"oauth_mode": mode})
    secret = "WrongSecret00000" if mode == "bad_credentials_empty" else CONSUMER_SECRET
    with client(mock) as c, pytest.raises(error):
        c.fetch_token(Secret(CONSUMER_KEY), Secret(secret))


def test_expires_in_as_a_number(mock: RunningDaraja) -> None:
    mock.state.settings.update({"expires_in_number": True})
    reply = requests.get(
        mock.url + "/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        auth=(CONSUMER_KEY, CONSUMER_SECRET),
        timeout=5,
    )
    assert reply.json()["expires_in"] == 3599
    assert token(mock).expires_in == 3599


# Transaction Status / Account Balance --------------------------------------------------------------------------


def test_transaction_status_accepted_then_result_0_for_the_active_api_operator(
    mock: RunningDaraja, receiver: ResultReceiver
) -> None:
    acceptance, result = ts_query(mock, receiver)
    assert acceptance.response_code == "0"
    assert acceptance.response_description == "Accept the service request successfully."
    assert acceptance.conversation_id.startswith("AG_")
    assert result is not None
    assert result.result_code == "0"
    assert result.result_desc == "The service request is processed successfully."
    assert result.conversation_id == acceptance.conversation_id
    assert result.parameters["TransactionStatus"] == "Completed"
    assert result.parameters["ReceiptNo"] == "NEF61H8J60"
    assert initiator_verdict(result).status == "ok"


def test_wrong_password_is_accepted_synchronously_and_2001_asynchronously(
    mock: RunningDaraja, receiver: ResultReceiver
) -> None:
    acceptance, result = ts_query(mock, receiver, password="Wrong#2030xy")
    assert acceptance.response_code == "0"  # never reported synchronously (reference §3.6)
    assert result is not None
    assert result.result_code == "2001"
    assert result.result_desc == "The initiator information is invalid."
    assert initiator_verdict(result).status == "problem"


@pytest.mark.parametrize(
    ("user", "password", "code"),
    [
        ("nosuchuser", API_PASSWORD, "2001"),
        ("noroleapi", "NoRole#2030x", "21"),
        ("lockedapi", "Locked#2030x", "8006"),
        ("closedapi", "Closed#2030x", "2001"),
        ("sandboxadmin", "Sandbox#2030", "2001"),  # a web operator is no initiator
    ],
)
def test_result_codes_from_the_portal_state(
    mock: RunningDaraja, receiver: ResultReceiver, user: str, password: str, code: str
) -> None:
    _, result = ts_query(mock, receiver, user=user, password=password)
    assert result is not None
    assert result.result_code == code


def test_another_short_code_is_2001(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    _, result = ts_query(mock, receiver, party_a="600999")
    assert result is not None
    assert result.result_code == "2001"


def test_the_other_environments_certificate_gives_2001(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    _, result = ts_query(mock, receiver, certificate=mock.certificate_pem("production"))
    assert result is not None
    assert result.result_code == "2001"


def test_forced_result_code_knob(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    mock.state.settings.update({"force_result_code": 2001})
    _, result = ts_query(mock, receiver)
    assert result is not None
    assert result.result_code == "2001"


def test_lock_after_failures(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    mock.state.settings.update({"lock_after_failures": 2})
    codes = []
    for password in ("Wrong#2030xy", "Wrong#2030xy", API_PASSWORD):
        _, result = ts_query(mock, receiver, password=password)
        assert result is not None
        codes.append(result.result_code)
    assert codes == ["2001", "2001", "8006"]


def test_unknown_receipt_is_2032_when_receipts_are_configured(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    mock.state.settings.update({"known_receipts": ["OTHER00000"]})
    _, result = ts_query(mock, receiver)
    assert result is not None
    assert result.result_code == "2032"
    assert initiator_verdict(result).status == "ok"


def test_no_callback_leaves_the_initiator_unknown(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    mock.state.settings.update({"send_results": False})
    request = daraja.transaction_status_request(
        initiator=API_USER,
        credential=security_credential(Secret(API_PASSWORD), mock.certificate_pem()),
        party_a=SHORTCODE,
        result_url=receiver.result_url,
        queue_timeout_url=receiver.timeout_url,
        transaction_id="NEF61H8J60",
    )
    with client(mock) as c:
        acceptance = c.submit(request, token(mock))
    assert receiver.wait_for(acceptance.originator_conversation_id, timeout=0.5) is None
    assert initiator_verdict(None).status == "unknown"


def test_account_balance_result(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    request = daraja.account_balance_request(
        initiator=API_USER,
        credential=security_credential(Secret(API_PASSWORD), mock.certificate_pem()),
        party_a=SHORTCODE,
        result_url=receiver.result_url,
        queue_timeout_url=receiver.timeout_url,
    )
    with client(mock) as c:
        acceptance = c.submit(request, token(mock))
    result = receiver.wait_for(acceptance.originator_conversation_id, timeout=WAIT)
    assert result is not None
    assert result.result_code == "0"
    assert result.parameters["AccountBalance"].startswith("Working Account|KES|")


def test_the_callback_is_recorded_as_delivered(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    ts_query(mock, receiver)
    assert mock.state.wait_for_callbacks(1, timeout=WAIT)
    snapshot = mock.state.snapshot()
    assert snapshot["callbacks"][0]["delivered"] is True
    assert snapshot["callbacks"][0]["http_status"] == 200
    assert CONSUMER_SECRET not in str(snapshot)


# refusals ------------------------------------------------------------------------------------------------------


def _post(mock: RunningDaraja, body: object, *, bearer: str | None, json_type: bool = True) -> requests.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    if json_type:
        return requests.post(mock.url + "/mpesa/transactionstatus/v1/query", json=body, headers=headers, timeout=5)
    return requests.post(mock.url + "/mpesa/transactionstatus/v1/query", data="x=1", headers=headers, timeout=5)


def _body(receiver: ResultReceiver, **changes: str) -> dict[str, str]:
    body = {
        "Initiator": API_USER,
        "SecurityCredential": "QUJD",
        "CommandID": "TransactionStatusQuery",
        "TransactionID": "NEF61H8J60",
        "PartyA": SHORTCODE,
        "IdentifierType": "4",
        "ResultURL": receiver.result_url,
        "QueueTimeOutURL": receiver.timeout_url,
        "Remarks": "r",
        "Occasion": "",
    }
    body.update(changes)
    return body


def test_a_bad_token_is_404_001_03(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    reply = _post(mock, _body(receiver), bearer="NotAToken")
    assert reply.status_code == 404
    assert reply.json()["errorCode"] == "404.001.03"
    assert reply.json()["errorMessage"] == "Invalid Access Token"
    mock.state.expire_tokens()
    assert _post(mock, _body(receiver), bearer=None).status_code == 404


def test_the_401_variant_echoes_the_token_but_the_client_does_not(
    mock: RunningDaraja, receiver: ResultReceiver
) -> None:
    mock.state.settings.update({"rejection_reply": "401.002.01"})
    good = token(mock)
    mock.state.expire_tokens()
    request = daraja.transaction_status_request(
        initiator=API_USER,
        credential=Secret("QUJD"),
        party_a=SHORTCODE,
        result_url=receiver.result_url,
        queue_timeout_url=receiver.timeout_url,
        transaction_id="NEF61H8J60",
    )
    with client(mock) as c, pytest.raises(DarajaTokenError) as caught:
        c.submit(request, good)
    assert good.value.reveal() not in f"{caught.value} {caught.value.hint} {caught.value!r}"
    assert caught.value.code == "401.002.01"


def test_missing_fields_and_content_type(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    bearer = token(mock).value.reveal()
    reply = _post(mock, _body(receiver, Initiator=""), bearer=bearer)
    assert (reply.status_code, reply.json()["errorCode"], reply.json()["errorMessage"]) == (
        400,
        "400.002.02",
        "Bad Request - Invalid Initiator",
    )
    assert _post(mock, _body(receiver, TransactionID=""), bearer=bearer).json()["errorMessage"] == (
        "Bad Request - Invalid TransactionID"
    )
    assert _post(mock, {}, bearer=bearer, json_type=False).json()["errorCode"] == "400.002.02"


def test_a_result_url_off_this_machine_is_refused(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    request = daraja.transaction_status_request(
        initiator=API_USER,
        credential=Secret("QUJD"),
        party_a=SHORTCODE,
        result_url="https://shop.example/wc-api/lipwa?action=result",
        queue_timeout_url=receiver.timeout_url,
        transaction_id="NEF61H8J60",
    )
    with client(mock) as c, pytest.raises(DarajaRequestError) as caught:
        c.submit(request, token(mock))
    assert caught.value.field == "ResultURL"
    assert mock.state.callbacks == []


# certificates, control surface, isolation ----------------------------------------------------------------------


def test_certificate_routes_serve_the_mocks_own_certificates(mock: RunningDaraja) -> None:
    sandbox = requests.get(mock.certificate_url(), timeout=5)
    production = requests.get(mock.certificate_url("production"), timeout=5)
    assert sandbox.status_code == 200
    assert sandbox.content == mock.certificate_pem()
    assert sandbox.content.startswith(b"-----BEGIN CERTIFICATE-----")
    assert production.content == mock.certificate_pem("production") != sandbox.content
    assert len(base64.b64decode(security_credential(Secret("x"), sandbox.content).reveal())) == 256


def test_control_surface_only_in_test_mode(portal_state: PortalState) -> None:
    with start_daraja(mode="daraja", portal_state=portal_state) as plain:
        assert requests.get(plain.url + "/__sim/state", timeout=5).status_code == 404
    with start_daraja(mode="test", portal_state=portal_state) as controlled:
        reply = requests.post(controlled.url + "/__sim/settings", json={"force_result_code": 2001}, timeout=5)
        assert reply.status_code == 200
        assert controlled.state.settings.force_result_code == 2001
        assert requests.post(controlled.url + "/__sim/settings", json={"bogus": 1}, timeout=5).status_code == 400
        assert requests.get(controlled.url + "/__sim/state", timeout=5).json()["environment"] == "sandbox"


def test_only_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        start_daraja(host="0.0.0.0")


def test_the_portal_state_is_only_read(
    mock: RunningDaraja, receiver: ResultReceiver, portal_state: PortalState
) -> None:
    before = portal_state.snapshot()["orgs"]
    ts_query(mock, receiver, password="Wrong#2030xy")
    ts_query(mock, receiver)
    assert portal_state.snapshot()["orgs"] == before


def test_the_mock_imports_nothing_of_the_agent_outside_the_sandbox() -> None:
    root = Path(__file__).resolve().parents[2] / "agent" / "sandbox" / "daraja"
    for source in root.glob("*.py"):
        for line in source.read_text(encoding="utf-8").splitlines():
            match = re.match(r"\s*(?:from|import)\s+(agent[\w.]*)", line)
            if match:
                assert match.group(1).startswith("agent.sandbox"), f"{source.name}: {line.strip()}"


# the end-to-end initiator check (agent.golive.initiator) -------------------------------------------------------


def test_check_initiator_end_to_end_ok_and_2001(mock: RunningDaraja) -> None:
    common = {
        "environment": "sandbox",
        "consumer_key": Secret(CONSUMER_KEY),
        "consumer_secret": Secret(CONSUMER_SECRET),
        "initiator": API_USER,
        "short_code": SHORTCODE,
        "base_url": mock.url,
        "wait_seconds": WAIT,
    }
    good = check_initiator(password=Secret(API_PASSWORD), **common)  # type: ignore[arg-type]
    assert good.verdict.status == "ok"
    assert good.result is not None
    assert good.result.result_code == "0"
    mock.state.settings.update({"force_result_code": 2001})  # the demo's fault knob
    bad = check_initiator(password=Secret(API_PASSWORD), **common)  # type: ignore[arg-type]
    assert bad.verdict.status == "problem"
    assert bad.verdict.code == "2001"


def test_check_initiator_with_wrong_keys_is_an_auth_error(mock: RunningDaraja) -> None:
    with pytest.raises(DarajaAuthError):
        check_initiator(
            environment="sandbox",
            consumer_key=Secret(CONSUMER_KEY),
            consumer_secret=Secret("WrongSecret00000"),
            initiator=API_USER,
            password=Secret(API_PASSWORD),
            short_code=SHORTCODE,
            base_url=mock.url,
        )


@responses.activate
def test_check_initiator_on_real_daraja_is_unknown_and_sends_nothing() -> None:
    check = check_initiator(
        environment="production",
        consumer_key=Secret("k" * 32),
        consumer_secret=Secret("s" * 16),
        initiator="shopapi",
        password=Secret("Api#2030xyz"),
        short_code="812345",
    )
    assert check.verdict.status == "unknown"
    assert check.acceptance is None
    assert len(responses.calls) == 0


def test_fetch_certificate_only_from_loopback(mock: RunningDaraja) -> None:
    assert fetch_certificate("sandbox", mock.url) == mock.certificate_pem()
    with pytest.raises(DarajaConfigError):
        fetch_certificate("sandbox", "https://developer.safaricom.co.ke")


def test_register_an_app_over_the_control_surface(mock: RunningDaraja) -> None:
    reply = requests.post(
        mock.url + "/__sim/apps",
        json={"consumer_key": "ShopOwnKey000000000000000000000A", "consumer_secret": "ShopOwnSecret001"},
        timeout=5,
    )
    assert reply.status_code == 200
    with client(mock) as c:
        assert c.fetch_token(Secret("ShopOwnKey000000000000000000000A"), Secret("ShopOwnSecret001")).value
    assert requests.post(mock.url + "/__sim/apps", json={"consumer_key": "x"}, timeout=5).status_code == 400


def test_receiver_ignores_posts_outside_its_secret_prefix(receiver: ResultReceiver) -> None:
    base = receiver.url.rsplit("/", 1)[0]
    forged = requests.post(base + "/result", json={"Result": {"ResultCode": 0}}, timeout=5)
    assert forged.status_code == 404
    assert receiver.results() == []
    real = requests.post(receiver.result_url, json={"Result": {"ResultCode": 0}}, timeout=5)
    assert real.status_code == 200
    assert [r.result_code for r in receiver.results()] == ["0"]


# canary --------------------------------------------------------------------------------------------------------


def test_canary_mock_flow_leaves_no_secret_in_logs(
    mock: RunningDaraja, receiver: ResultReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    got = token(mock)
    _, result = ts_query(mock, receiver)
    assert result is not None
    mock.state.settings.update({"rejection_reply": "401.002.01"})
    mock.state.expire_tokens()
    request = daraja.transaction_status_request(
        initiator=API_USER,
        credential=security_credential(Secret(API_PASSWORD), mock.certificate_pem()),
        party_a=SHORTCODE,
        result_url=receiver.result_url,
        queue_timeout_url=receiver.timeout_url,
        transaction_id="NEF61H8J60",
    )
    with client(mock) as c, pytest.raises(DarajaTokenError) as caught:
        c.submit(request, got)
    logged = "\n".join(r.getMessage() for r in caplog.records) + f"{caught.value} {caught.value.hint!r} {got!r}"
    assert "/oauth/v1/generate" in logged  # werkzeug and the client did log, only never a secret
    secrets = (CONSUMER_SECRET, got.value.reveal(), API_PASSWORD, request.credential.reveal())
    for value in (CONSUMER_KEY, *secrets):
        assert value not in logged
    snapshot = str(mock.state.snapshot())  # the control surface lists app keys, never secrets or tokens
    for value in secrets:
        assert value not in snapshot


@pytest.mark.parametrize("mode", ["spike", "unreachable"])
def test_query_outages_are_unavailable(mock: RunningDaraja, receiver: ResultReceiver, mode: str) -> None:
    mock.state.settings.update({"query_mode": mode})
    request = daraja.transaction_status_request(
        initiator=API_USER,
        credential=Secret("QUJD"),
        party_a=SHORTCODE,
        result_url=receiver.result_url,
        queue_timeout_url=receiver.timeout_url,
        transaction_id="NEF61H8J60",
    )
    with client(mock) as c, pytest.raises(DarajaUnavailableError):
        c.submit(request, token(mock))


def test_a_new_token_can_invalidate_the_old_one(mock: RunningDaraja, receiver: ResultReceiver) -> None:
    first = token(mock)
    token(mock)
    assert mock.state.app_of_token(first.value.reveal()) is not None  # off by default
    mock.state.settings.update({"invalidate_previous": True})
    old = token(mock)
    token(mock)
    assert mock.state.app_of_token(old.value.reveal()) is None


# doctor-facing findings (agent.golive.checks) ------------------------------------------------------------------


def test_token_finding(mock: RunningDaraja) -> None:
    urls = {"sandbox": mock.url}
    key, secret = Secret(CONSUMER_KEY), Secret(CONSUMER_SECRET)
    ok, verified = token_finding("sandbox", key, secret, base_urls=urls)
    assert (ok.id, ok.status, verified) == ("golive.oauth", "ok", "sandbox")
    bad, verified = token_finding("sandbox", key, Secret("WrongSecret00000"), base_urls=urls)
    assert bad.status == "problem"
    assert verified is None
    assert "WrongSecret00000" not in bad.evidence + bad.fix
    offline, _ = token_finding("sandbox", key, secret, offline=True)
    assert offline.status == "unknown"
    mock.state.settings.update({"oauth_mode": "waf_503"})
    down, _ = token_finding("sandbox", key, secret, base_urls=urls, timeout=(2.0, 5.0))
    assert down.status == "unknown"


def test_initiator_finding_from_real_daraja_is_unknown() -> None:
    finding = initiator_finding(InitiatorCheck(REAL_DARAJA_UNKNOWN))
    assert finding.status == "unknown"
    assert "asynchronous" in finding.evidence
