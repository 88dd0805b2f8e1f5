"""The sandbox M-PESA Org Portal: a local, stateful imitation of the classic portal for the demo and the tests.

Written from ``../shared/reference/mpesa-org-portal.md`` only; it never imports ``agent.portal`` or the agent's
label maps. Layout: ``state`` (operators, sessions, the state machine, one lock), ``wizard`` (the Create Organization
Operator draft and its validation), ``passwords``, ``captcha``, ``catalogue`` (roles, pick lists, messages),
``clock``, ``faults``, ``seed``; ``app`` (Flask factory + shared plumbing), ``classic`` (the classic skin's views,
``templates/classic``, ``static/classic``), ``control`` (the ``/__sim/`` JSON surface, test/demo mode only);
``server`` (run it: ``start_sandbox``, ``serve_forever``) and ``client`` (``SandboxControl``).

Heavy imports (Flask, Pillow) happen when the submodules are imported, not here.
"""

from __future__ import annotations

ADMIN_USERNAME = "sandboxadmin"
ADMIN_PASSWORD = "Sandbox#2030"  # noqa: S105 - the documented sandbox password, not a secret
ADMIN_MSISDN = "254708374149"
SHORTCODE = "600000"
ORG_NAME = "Sandbox Duka Ltd"
