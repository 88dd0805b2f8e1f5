"""Rotating the web operator: it changes its own password (My Preference → Change Password, or the change screen
the portal forces once the password has expired). A resumed change whose answer was lost is settled by logging in:
the new password first, then the current one (at most one refused login)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.errors import AuthError, PortalError
from agent.secret import Secret
from agent.workflows.rotation.base import STARTED, Rotation
from agent.workflows.rotation.record import same, submitted
from agent.workflows.rotation.request import RotateResult
from agent.workflows.steps import Step, StepSpec, Workflow

if TYPE_CHECKING:
    from agent.portal.flows import LoginResult

WEB = Workflow(
    "rotate-web",
    (
        STARTED,
        StepSpec("stage", ("rotate:staged",)),
        StepSpec("portal-set", ("rotate:web:after-change",)),
        StepSpec("promote", ("rotate:promoted",)),
        StepSpec("verify", ("rotate:verified",)),
    ),
)


class WebRotation(Rotation):
    workflow = WEB

    def run(self) -> RotateResult:
        username = self.plan.web.username
        ref = self.target.web_ref
        self.stage(ref)
        verified_login = False
        if not self.steps.skip_if_done("portal-set", f"Change {username}'s password", "already changed"):
            with self.steps.step("portal-set", f"Change {username}'s password (as {username})") as step:
                verified_login = self.change(step, self.new_password(ref), self.vault.require(ref))
                step.done("changed on the portal", username=username)
        self.promote(ref)
        with self.steps.step("verify", f"Log in as {username} with the new password") as step:
            if not (verified_login and self.portal.logged_in_as == username):
                self.login_web(password=self.vault.require(ref))
            step.done("the portal accepts the new password")
        self.steps.checkpoint("rotate:verified")
        self.finish(username=username)
        return self.result(username, f"The web operator {username} has a new password, current in the vault.")

    def _login(self, password: Secret, purpose: str) -> LoginResult | None:
        self.portal.logout()
        return self.portal.maintenance.login_verdict(
            self.plan.profile, self.plan.web.username, password, purpose=purpose
        )

    def change(self, step: Step, new: Secret, old: Secret) -> bool:
        """Change the password on the portal from ``old`` to ``new``; True when a login with ``new`` proved it."""
        from agent.portal.flows import LoginResult

        username = self.plan.web.username
        if submitted(self.journal, "portal-set") and not same(old.reveal(), new.reveal()):
            # The last run submitted the change and stopped: the portal has one of the two. Try the new one first.
            verdict = self._login(new, "web operator login (new password)")
            if verdict is LoginResult.FIRST_LOGIN:
                raise PortalError(f"The portal asks {username} to change the password it just got.")
            if verdict is LoginResult.HOME:
                return True
        verdict = self._login(old, "web operator login")
        if verdict is None:
            raise AuthError(
                f"The portal refused the web operator {username}'s stored password"
                + (" and the new one." if submitted(self.journal, "portal-set") else "."),
                hint="Ask the Business Administrator to use Reset Password on it, then store the new "
                "password with mpesa-agent setup; the rotation is still in flight (--abandon drops it).",
            )
        step.intent(username=username)
        proved = self.submit_change(step, verdict, old, new)
        self.steps.checkpoint("rotate:web:after-change")
        return proved

    def submit_change(self, step: Step, verdict: LoginResult, old: Secret, new: Secret) -> bool:
        from agent.portal import maintenance
        from agent.portal.flows import LoginResult

        try:
            if verdict is LoginResult.FIRST_LOGIN:
                self.portal.maintenance.change_expired_password(old, new)
            else:
                self.portal.maintenance.change_own_password(old, new)
        except maintenance.NotOfferedError:
            step.note(submitted=False, outcome="not offered")
            raise
        except maintenance.LostAnswerError as exc:
            # The answer was lost: a login with the new password tells whether the change took.
            self.reporter.info(f"{exc.message} Checking with a login with the new password.")
            if self._login(new, "web operator login (new password)") is not LoginResult.HOME:
                raise
            return True
        return False
