"""The ``single`` strategy: a new password on the same API operator (Set Password as the web operator), pushed to
every linked site whose plugin uses it, then read back from the portal and the plugins."""

from __future__ import annotations

from agent.errors import VerificationError
from agent.workflows.rotation.base import STARTED, Rotation
from agent.workflows.rotation.record import like
from agent.workflows.rotation.request import ACTIVE, RotateResult
from agent.workflows.steps import StepSpec, Workflow

SINGLE = Workflow(
    "rotate-single",
    (
        STARTED,
        StepSpec("stage", ("rotate:staged",)),
        StepSpec("portal-set", ("rotate:api:after-set",)),
        StepSpec("promote", ("rotate:promoted",)),
        StepSpec("push", ("rotate:pushed",)),
        StepSpec("verify", ("rotate:verified",)),
    ),
)


class SingleRotation(Rotation):
    workflow = SINGLE

    def run(self) -> RotateResult:
        username = self.old
        ref = self.target.api_ref(username)
        self.stage(ref)
        self.set_api_password(username, ref, before=ACTIVE)
        self.promote(ref)
        new = self.vault.require(ref)
        if self.journal.is_done("push") or not self.sites:
            self.steps.skip("push", "Push the new password to the shop", "done" if self.sites else "no site uses it")
        else:
            with self.steps.step("push", f"Push {username}'s new password to {len(self.sites)} site(s)") as step:
                failures = self.push_all(username, new)
                if failures:
                    first = failures[0][1]
                    raise like(
                        first,
                        f"The new password of {username} is set on the portal and is the current one in the vault, "
                        f"but {', '.join(u for u, _ in failures)} could not be updated: {first.message}",
                        "The plugin still has the old password, which the portal no longer takes (reversals and "
                        "status queries fail until it is fixed; payments are not affected). Fix the site, then run "
                        "'mpesa-agent rotate --resume'.",
                    )
                step.done(", ".join(self.sites))
            self.steps.checkpoint("rotate:pushed")
        with self.steps.step("verify", "Read back the portal and the plugin") as step:
            self.login_web()
            row = self.find(username, self.login_web)
            if row is None or row.status != ACTIVE:
                raise VerificationError(f"The API operator {username} is {row.status if row else 'not listed'}.")
            self.verify_sites(username, new)
            step.done(f"{username} Active; plugin(s) hold the new password")
        self.steps.checkpoint("rotate:verified")
        self.finish(username=username)
        return self.result(username, f"The API operator {username} has a new password, in the vault and the plugin.")
