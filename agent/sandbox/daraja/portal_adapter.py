"""The initiator check of the mock Daraja over a sandbox portal's operators (read-only).

``portal_verifier(state)`` returns the ``VerifyInitiator`` callable the mock needs: given the organisation short
code, the initiator name, the decrypted password and the CommandID, it answers from the portal's operator state
(reference daraja.md §3.7, mpesa-org-portal.md §13):

* ``8006`` the operator is Locked (the credential is locked);
* ``2001`` no such operator in that organisation, not an API operator, not Active (Pending Active, Suspended,
  Closed), a wrong password, or an expired password;
* ``21``   the operator lacks the role for the request (Transaction Status query ORG API / Balance Query ORG API);
* ``0``    otherwise.

It only reads ``PortalState`` through its public attributes under its lock, and never changes it.
"""

from __future__ import annotations

from agent.sandbox.daraja.state import VerifyInitiator
from agent.sandbox.portal.catalogue import ACTIVE
from agent.sandbox.portal.passwords import verify_secret
from agent.sandbox.portal.state import PortalState

ROLE_FOR_COMMAND = {
    "TransactionStatusQuery": "Transaction Status query ORG API",
    "AccountBalance": "Balance Query ORG API",
}

SUCCESS = 0
INVALID_INITIATOR = 2001
NOT_ALLOWED = 21
LOCKED = 8006


def portal_verifier(state: PortalState) -> VerifyInitiator:
    """A ``VerifyInitiator`` answering from ``state`` (see the module docstring)."""

    def verify(short_code: str, username: str, password: str, command_id: str) -> int:
        with state.lock:
            org = state.orgs.get(short_code)
            op = org.by_username(username) if org is not None else None
            if op is None or not op.is_api:
                return INVALID_INITIATOR
            if op.locked:
                return LOCKED
            if op.status != ACTIVE:
                return INVALID_INITIATOR
            if not verify_secret(password, op.password_hash):
                return INVALID_INITIATOR
            if op.password_expired(state.now(), state.settings.password_max_age_days):
                return INVALID_INITIATOR
            role = ROLE_FOR_COMMAND.get(command_id)
            if role is None or not op.has_role(role):
                return NOT_ALLOWED
            return SUCCESS

    return verify
