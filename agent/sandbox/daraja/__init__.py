"""The sandbox's mock Daraja: OAuth, Account Balance and Transaction Status on loopback, for the demo and the tests.

Written from ``../shared/reference/daraja.md`` only (§2 OAuth, §3 the queries, §4 SecurityCredential, §7 the
scenario matrix); it never imports the agent outside ``agent.sandbox`` (it reads ``agent.sandbox.portal``'s state,
read-only, through ``portal_adapter``). Layout: ``keys`` (the mock's own RSA key pair and certificate per
environment), ``state`` (registered apps, tokens, knobs, the callbacks sent), ``app`` (the Flask factory and the
routes), ``portal_adapter`` (the initiator check over a sandbox ``PortalState``), ``server`` (``start_daraja``).

Routes: ``GET /oauth/v1/generate?grant_type=client_credentials`` (Basic auth), ``POST /mpesa/accountbalance/v1/query``
and ``POST /mpesa/transactionstatus/v1/query`` (Bearer token; a synchronous acceptance, then the result POSTed to
the loopback ``ResultURL`` from a background thread), ``GET /certificates/{Sandbox,Production}Certificate.cer``
(the mock's public certificates, PEM), and in ``test``/``demo`` mode the ``/__sim/`` JSON control surface:
``GET /__sim/state``, ``POST /__sim/settings`` (the knobs of ``state.MockSettings``), ``POST /__sim/apps``,
``POST /__sim/expire-tokens``, ``POST /__sim/reset``.
"""

from __future__ import annotations

# The mock's registered Daraja app (sandbox): not Daraja's public sandbox pair, so go-live checks see a real-looking
# app. 32- and 16-character values, like an older sandbox app (reference §2.1).
CONSUMER_KEY = "SandboxDukaConsumerKey2030A1b2C3"
CONSUMER_SECRET = "DukaSecret2030Xy"  # noqa: S105 - the documented sandbox value, not a secret
PASSKEY = "5a1d0c9e3b7f4a2d8c6e0b1f9a3d7c5e2b4f6a8c0d1e3f5a7b9c2d4e6f8a0b1c"
