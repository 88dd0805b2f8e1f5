"""Go-live: checking a shop's Daraja app settings against Daraja, before they are pushed with the initiator.

Written from ``../shared/reference/daraja.md``; the data (hosts, paths, Daraja's public sandbox values, the plugin's
go-live field names) is in ``config/daraja.toml``. Modules:

* ``daraja``   the Daraja HTTP client: OAuth token (``fetch_token``), SecurityCredential, Account Balance and
  Transaction Status requests, the synchronous acceptance, the asynchronous result and its meaning, and the
  error classes (each with its documented exit status);
* ``rules``    the pure consistency rules (``check_go_live``) that run before anything is written, and in doctor;
* ``receiver`` a loopback ResultURL receiver, for the end-to-end initiator check against the sandbox's mock
  Daraja (real Daraja needs a public ResultURL, so there the initiator stays ``unknown``).

Nothing here talks to WordPress or the keyring, and nothing here prints: callers (workflows) do.
"""

from __future__ import annotations
