"""The mock Daraja's state: registered apps, issued tokens, the scenario knobs, and what it sent back.

One ``DarajaState`` is one mock instance serving one environment (``sandbox`` or ``production``); it holds a key pair
for both environments, so a SecurityCredential made with the other environment's certificate fails as on real
Daraja. The initiator check is an injected ``VerifyInitiator`` callable: ``(short_code, username, password,
command_id) -> result code`` (0, 2001, 21, 8006 as in reference §3.7); ``portal_adapter.portal_verifier`` implements
it over a sandbox portal. Every public method takes ``lock``; ``changed`` is notified when a callback is delivered,
so a test can wait for one instead of polling.
"""

from __future__ import annotations

import dataclasses
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from agent.sandbox.daraja import CONSUMER_KEY, CONSUMER_SECRET
from agent.sandbox.daraja.keys import KeyPair, generate_key_pair

VerifyInitiator = Callable[[str, str, str, str], int]

ENVIRONMENTS = ("sandbox", "production")
PRODUCTS = frozenset({"oauth", "account_balance", "transaction_status"})
OAUTH_MODES = ("ok", "bad_credentials_empty", "waf_503", "html_200", "no_token_200")
QUERY_MODES = ("ok", "spike", "unreachable")
REJECTION_REPLIES = ("404.001.03", "401.002.01")
TOKEN_TTL_SECONDS = 3599


@dataclasses.dataclass
class App:
    """A Daraja app: its consumer key/secret, its environment, and the products it includes."""

    consumer_key: str
    consumer_secret: str = dataclasses.field(repr=False)
    environment: str = "sandbox"
    products: frozenset[str] = PRODUCTS
    name: str = "Sandbox Duka app"


@dataclasses.dataclass
class IssuedToken:
    consumer_key: str
    expires_at: float  # time.monotonic()


@dataclasses.dataclass
class Callback:
    """One result (or timeout notice) the mock POSTed, and how the delivery went."""

    url: str
    payload: dict[str, Any]
    result_code: int | str
    originator_conversation_id: str
    delivered: bool = False
    http_status: int | None = None
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "result_code": self.result_code,
            "originator_conversation_id": self.originator_conversation_id,
            "delivered": self.delivered,
            "http_status": self.http_status,
            "error": self.error,
        }


@dataclasses.dataclass
class MockSettings:
    """Scenario knobs (reference §7). Changed with ``update`` / ``POST /__sim/settings``.

    ``oauth_mode``          ok | bad_credentials_empty (400, empty body, reason "Bad Request: Invalid Credentials")
                            | waf_503 (503 HTML) | html_200 (the developer portal's page) | no_token_200;
    ``expires_in_number``   send ``expires_in`` as a number (the Daraja 3 page) instead of the string "3599";
    ``invalidate_previous`` a new token invalidates the app's older ones (unverified FAQ claim, off by default);
    ``rejection_reply``         404.001.03 (default) or 401.002.01 (echoes the token) for a bad token on a query;
    ``force_result_code``   answer every query with this ResultCode (e.g. 2001), whatever the initiator;
    ``result_delay_seconds`` wait before POSTing the result; ``send_results`` false = never call back (§3.6);
    ``known_receipts``      None = every TransactionID exists; a list = others give 2032;
    ``lock_after_failures`` after this many wrong credentials for one initiator, answer 8006 (None = never);
    ``query_mode``          ok | spike (500 500.003.02 Spike Arrest) | unreachable (500 500.003.1001) for queries.
    """

    oauth_mode: str = "ok"
    expires_in_number: bool = False
    invalidate_previous: bool = False
    rejection_reply: str = "404.001.03"
    force_result_code: int | None = None
    result_delay_seconds: float = 0.05
    send_results: bool = True
    known_receipts: list[str] | None = None
    lock_after_failures: int | None = None
    query_mode: str = "ok"

    def update(self, values: dict[str, Any]) -> None:
        """Apply known keys after checking them all; ``ValueError`` names the first bad one."""
        names = {f.name for f in dataclasses.fields(self)}
        for key, value in values.items():
            if key not in names:
                raise ValueError(f"unknown setting {key!r}")
            if key == "oauth_mode" and value not in OAUTH_MODES:
                raise ValueError(f"oauth_mode must be one of {', '.join(OAUTH_MODES)}")
            if key == "query_mode" and value not in QUERY_MODES:
                raise ValueError(f"query_mode must be one of {', '.join(QUERY_MODES)}")
            if key == "rejection_reply" and value not in REJECTION_REPLIES:
                raise ValueError(f"rejection_reply must be one of {', '.join(REJECTION_REPLIES)}")
            if key in ("expires_in_number", "invalidate_previous", "send_results") and not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
            if key in ("force_result_code", "lock_after_failures") and not (
                value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)
            ):
                raise ValueError(f"{key} must be a non-negative integer or null")
            if key == "result_delay_seconds" and not (
                isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 60
            ):
                raise ValueError("result_delay_seconds must be between 0 and 60")
            if key == "known_receipts" and not (
                value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            ):
                raise ValueError("known_receipts must be a list of strings or null")
        for key, value in values.items():
            setattr(self, key, value)


def _alnum(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


class DarajaState:
    """One mock Daraja. See the module docstring."""

    def __init__(
        self,
        *,
        environment: str = "sandbox",
        verify_initiator: VerifyInitiator | None = None,
        apps: Iterable[App] | None = None,
        tills: dict[str, str] | None = None,
    ) -> None:
        if environment not in ENVIRONMENTS:
            raise ValueError("environment must be 'sandbox' or 'production'")
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.environment = environment
        self.keys: dict[str, KeyPair] = {env: generate_key_pair(env) for env in ENVIRONMENTS}
        default = [App(CONSUMER_KEY, CONSUMER_SECRET, environment=environment)]
        self.apps: dict[str, App] = {app.consumer_key: app for app in (default if apps is None else apps)}
        self.tokens: dict[str, IssuedToken] = {}
        self.settings = MockSettings()
        self.verify_initiator: VerifyInitiator | None = verify_initiator
        self.tills: dict[str, str] = dict(tills or {})  # till number -> its store number (the organisation)
        self.callbacks: list[Callback] = []
        self.failures: dict[tuple[str, str], int] = {}
        self.locked: set[tuple[str, str]] = set()
        self.token_requests = 0
        self.query_requests = 0

    # apps and tokens

    def register_app(self, app: App) -> None:
        with self.lock:
            self.apps[app.consumer_key] = app

    def app_for(self, consumer_key: str, consumer_secret: str) -> App | None:
        """The app of this key and secret in this mock's environment (keys of another environment are refused)."""
        with self.lock:
            app = self.apps.get(consumer_key)
            if app is None or app.environment != self.environment:
                return None
            if not secrets.compare_digest(app.consumer_secret.encode(), consumer_secret.encode()):
                return None
            return app

    def issue_token(self, app: App) -> str:
        with self.lock:
            if self.settings.invalidate_previous:
                for value in [t for t, issued in self.tokens.items() if issued.consumer_key == app.consumer_key]:
                    del self.tokens[value]
            token = _alnum(28)
            self.tokens[token] = IssuedToken(app.consumer_key, time.monotonic() + TOKEN_TTL_SECONDS)
            return token

    def app_of_token(self, token: str) -> App | None:
        with self.lock:
            issued = self.tokens.get(token)
            if issued is None or time.monotonic() > issued.expires_at:
                return None
            return self.apps.get(issued.consumer_key)

    def expire_tokens(self) -> int:
        with self.lock:
            count = len(self.tokens)
            self.tokens.clear()
            return count

    # the initiator

    def decide(self, *, short_code: str, username: str, password: str | None, command_id: str) -> int:
        """The ResultCode for this initiator: knobs first, then the lock, then the injected check."""
        with self.lock:
            if self.settings.force_result_code is not None:
                return self.settings.force_result_code
            key = (short_code, username)
            if key in self.locked:
                return 8006
            if password is None or self.verify_initiator is None:
                code = 2001
            else:
                code = self.verify_initiator(short_code, username, password, command_id)
            if code == 2001:
                self.failures[key] = self.failures.get(key, 0) + 1
                limit = self.settings.lock_after_failures
                if limit is not None and self.failures[key] >= limit:
                    self.locked.add(key)
            elif code == 0:
                self.failures.pop(key, None)
            return code

    def organisation_of(self, party_a: str, identifier_type: str) -> str:
        """The organisation short code a PartyA stands for (a till's store number when it is known)."""
        with self.lock:
            if identifier_type == "2":
                return self.tills.get(party_a, party_a)
            return party_a

    # callbacks

    def record(self, callback: Callback) -> None:
        with self.lock:
            self.callbacks.append(callback)
            self.changed.notify_all()

    def delivered(self, callback: Callback, *, status: int | None, error: str = "") -> None:
        with self.lock:
            callback.delivered = status is not None and 200 <= status < 300
            callback.http_status = status
            callback.error = error
            self.changed.notify_all()

    def wait_for_callbacks(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` callbacks have been attempted (delivered or failed)."""

        def done() -> bool:
            finished = [c for c in self.callbacks if c.delivered or c.error or c.http_status is not None]
            return len(finished) >= count

        with self.changed:
            return self.changed.wait_for(done, timeout=timeout)

    def reset(self) -> None:
        with self.lock:
            self.tokens.clear()
            self.settings = MockSettings()
            self.callbacks.clear()
            self.failures.clear()
            self.locked.clear()
            self.token_requests = self.query_requests = 0

    def snapshot(self) -> dict[str, Any]:
        """Secret-free: app keys are listed without their secrets; tokens only counted."""
        with self.lock:
            return {
                "environment": self.environment,
                "apps": [
                    {"consumer_key": a.consumer_key, "environment": a.environment, "products": sorted(a.products)}
                    for a in self.apps.values()
                ],
                "tokens": len(self.tokens),
                "settings": dataclasses.asdict(self.settings),
                "callbacks": [c.as_json() for c in self.callbacks],
                "locked": [f"{sc}/{user}" for sc, user in sorted(self.locked)],
                "token_requests": self.token_requests,
                "query_requests": self.query_requests,
            }
