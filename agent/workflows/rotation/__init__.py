"""``mpesa-agent rotate`` (and the rotation side of ``rollback`` and ``status``): replace an operator's password
without ever losing a working credential. No click here: ``run_rotation(ctx, RotateRequest(...))`` returns a
``RotateResult`` (``as_dict()`` for ``--json``); progress goes to ``ctx.reporter``.

What belongs where in this package: ``request`` (what was asked, what is answered, pure helpers), ``ages``
(password ages, shared with ``status``), ``record`` (the profile worked on, the journal, configuration edits,
read-only looks at the sites), ``base`` (the steps every strategy shares), ``single``, ``alternating`` and ``web``
(one strategy each, with its declared steps and checkpoints), ``undo`` (abandon, rollback), ``run`` (the entry
point).

What is rotated
---------------
* ``--operator api`` (default): the API operator, the Daraja initiator the shop's plugin uses.
* ``--operator web``: the web operator that sets the API operator's password. No plugin uses it.
* ``--site-credentials``: the WordPress application password of each linked site (``sites.rotate_site_credentials``).

Strategies for the API operator
-------------------------------
``single`` (the default): as the web operator, Set Password on the same API operator, then push the new password
to every linked site whose plugin uses that operator. Between Set Password and the end of the push (seconds) the
plugin holds a password the portal no longer takes: a reversal or status query in that window fails (2001). Taking
payments does not use the initiator (STK push uses the passkey), so the shop keeps selling.

``alternating``: the Business Administrator creates a second API operator with the same roles and a derived user
name (``mamaapi`` → ``mamaapi2`` → ``mamaapi3``: a Closed operator's user name stays taken on the portal, so the
name cannot alternate back), the web operator sets its password, the plugin is switched to it and read back, and
only then the Business Administrator closes the old one. The old initiator works until the new one is in place.

Why ``single`` is the default: it needs only the web operator (every login needs an OTP on that person's phone;
alternating also needs the Business Administrator, often another person, twice); it leaves no Closed operator and
no used-up user name behind on every rotation (an unattended 60-day timer would pile them up); it works where the
organisation's operator creation goes through maker-checker approval; and its window is made small and safe: every
site is read before the portal is touched (a site that is down stops the rotation with nothing changed), and a push
that still fails is finished by ``--resume``. Choose ``alternating`` when payouts or reversals run all the time and
even seconds without a working initiator matter.

The web operator's password is changed by the web operator itself: in My Preference (Change Password) when the
portal offers it, or on the change screen the portal forces at login once the password has expired.

Never losing a credential
-------------------------
Every new password is generated and stored in the vault as *pending* (with the rotation id in its note) and the
intent is journalled before the portal sees it; it becomes *current* (the old one *previous*) once the portal has
it. A run that stops anywhere leaves the journal ``rotate-<short code>`` (no secrets) saying which steps are done;
``--resume`` finishes the others, checking the portal where an answer was lost (an API password is set again,
the same one; for the web operator the pending password is tried first and the current one after it, so at most
one login is refused, and the next good login resets the portal's count). Only one rotation per organisation is in
flight: a new one is refused with ``ConflictError`` (exit 8) until it is resumed or abandoned. ``--abandon`` is
allowed while the credential in use is untouched (single/web: before Set Password or the change was submitted;
alternating: before the plugin was switched); later, only ``--resume`` (or, for alternating before the old
operator is closed, ``mpesa-agent rollback``) is possible, because the previous password may no longer work.

When a step fails (documented states)
-------------------------------------
* A site cannot be read before the portal change: nothing changed, the rotation is not started (exit 7).
* Set Password gets no answer (an error page after the change): it is set again once with the same password; the
  status of a new operator tells whether it took.
* The push fails or the site stores something else (read-back, exit 5): single: the portal and the vault already
  have the new password, the plugin does not: ``--resume`` pushes again (the old password no longer works, so no
  snapshot is restored). Alternating: every site that no longer holds the old operator's working credential gets
  its snapshot back, the configuration names the old operator again, and ``--resume`` switches again.

Checkpoints (the crash tests' SIGKILL points) are declared with each strategy's steps: ``SINGLE``,
``ALTERNATING`` and ``WEB`` (``agent.workflows.steps.Workflow``); the crash suite walks ``WORKFLOWS[...]
.checkpoints()`` in order.

Expiry: ``ages.password_ages`` gives each operator's password age and the days left of the portal's 90 days, from the
vault's ``current`` timestamp; ``rotate --if-older-than 60d`` does nothing (exit 0) while the password is younger.
For a timer, ``rotate --resume --if-older-than 60d`` finishes a rotation left in flight, else starts one when due.
A run that fails before anything was submitted to the portal or the shop ends its rotation (nothing to resume).
"""

from agent.workflows.rotation.ages import PasswordAge, password_ages, profile_ages
from agent.workflows.rotation.alternating import ALTERNATING
from agent.workflows.rotation.record import rotation_in_flight
from agent.workflows.rotation.request import (
    DEFAULT_STRATEGY,
    RollbackResult,
    RotateRequest,
    RotateResult,
    next_username,
    parse_age,
)
from agent.workflows.rotation.run import rotate_site_credentials, run_rotation
from agent.workflows.rotation.single import SINGLE
from agent.workflows.rotation.undo import rollback
from agent.workflows.rotation.web import WEB

#: Each strategy's declared steps and checkpoints (``"web"``: the web operator's own change).
WORKFLOWS = {"single": SINGLE, "alternating": ALTERNATING, "web": WEB}
#: Every checkpoint of every strategy.
CHECKPOINTS: tuple[str, ...] = tuple(dict.fromkeys(p for w in WORKFLOWS.values() for p in w.checkpoints()))

__all__ = [
    "ALTERNATING",
    "CHECKPOINTS",
    "DEFAULT_STRATEGY",
    "SINGLE",
    "WEB",
    "WORKFLOWS",
    "PasswordAge",
    "RollbackResult",
    "RotateRequest",
    "RotateResult",
    "next_username",
    "parse_age",
    "password_ages",
    "profile_ages",
    "rollback",
    "rotate_site_credentials",
    "rotation_in_flight",
    "run_rotation",
]
