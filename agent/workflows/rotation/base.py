"""The parts every rotation strategy shares: the portal session (opened on first use), the logins, and the common
steps (stage the new password, Set Password on an API operator, promote, push to the sites, read the sites back).
The strategies (``single``, ``alternating``, ``web``) subclass ``Rotation`` and declare their steps."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from agent import passwords
from agent.context import Context
from agent.errors import AgentError, AuthError, ConflictError, PortalError, VerificationError
from agent.journal import Journal
from agent.secret import Secret
from agent.vault import CredentialRef
from agent.workflows.rotation.record import Target, ours, same, site_values
from agent.workflows.rotation.request import ACTIVE, PENDING_ACTIVE, RotateResult
from agent.workflows.steps import StepRunner, StepSpec, Workflow

if TYPE_CHECKING:
    from agent.portal.flows import OperatorRow, Portal

log = logging.getLogger(__name__)

STARTED = StepSpec("rotate", ("rotate:started",))


class Rotation:
    """One run (fresh or resumed) of a rotation described by its journal start record."""

    workflow: ClassVar[Workflow]

    def __init__(
        self, ctx: Context, target: Target, start: dict[str, Any], journal: Journal, stack: contextlib.ExitStack
    ) -> None:
        self.ctx = ctx
        self.target = target
        self.plan = target.plan
        self.start = start
        self.rid = str(start["rotation"])
        self.kind = str(start["operator"])
        self.strategy = str(start["strategy"])
        self.old = str(start["username"])
        self.sites: list[str] = [str(s) for s in start.get("sites", [])]
        self.journal = journal
        self.vault = ctx.vault
        self.reporter = ctx.reporter
        self.stack = stack
        self._portal: Portal | None = None
        self.steps = StepRunner(self.workflow, journal, ctx.reporter, session_expired=self._session_expired)
        self.warnings: list[str] = []
        self.site_report: list[dict[str, Any]] = []

    def run(self) -> RotateResult:
        raise NotImplementedError

    # -- plumbing ----------------------------------------------------------------------------------------------
    @property
    def portal(self) -> Portal:
        if self._portal is None:
            from agent.portal.session import portal_session

            options = self.ctx.portal_options(self.plan.portal_url)
            if self.plan.portal_announcement:
                self.ctx.reporter.info(self.plan.portal_announcement)
            self._portal = self.stack.enter_context(
                portal_session(options, self.ctx.require_human(), browser=self.ctx.browser)
            )
        return self._portal

    def _session_expired(self) -> bool:
        return self._portal is not None and self._portal.session_expired()

    def note(self, text: str) -> str:
        return f"rotation {self.rid}: {text}"[:200]

    def ours(self, note: str) -> bool:
        return ours(note, self.rid)

    # -- logins ------------------------------------------------------------------------------------------------
    def login_web(self, password: Secret | None = None) -> None:
        from agent.portal.flows import LoginResult

        username = self.plan.web.username
        if password is None and self.portal.logged_in_as == username:
            return
        self.portal.logout()
        secret = password or self.vault.require(self.target.web_ref)
        result = self.portal.login(self.plan.profile, username, secret, purpose="web operator login")
        if result is LoginResult.FIRST_LOGIN:
            raise PortalError(
                f"The portal asks the web operator {username} for a new password (it has expired).",
                hint="Rotate it first: mpesa-agent rotate --operator web; then run this command again.",
            )

    def login_admin(self) -> None:
        from agent.portal.flows import LoginResult

        username = self.plan.admin_username
        if self.portal.logged_in_as == username:
            return
        stored = self.vault.get(self.target.admin_ref)
        if stored is not None:
            password = stored
        elif self.ctx.admin_password is not None:
            password = self.ctx.admin_password(f"Password of the Business Administrator {username}")
        else:
            password = self.vault.require(self.target.admin_ref)  # raises, saying how to store it
        self.portal.logout()
        result = self.portal.login(self.plan.profile, username, password, purpose="Business Administrator login")
        if result is LoginResult.FIRST_LOGIN:
            raise AuthError(
                "The Business Administrator must change its password before the agent can work.",
                hint="Log in once at the portal yourself to set it, then run the command again.",
            )
        if stored is None:
            self.vault.set_current(self.target.admin_ref, password, note="accepted by the portal at login")

    def find(self, username: str, relogin: Any) -> OperatorRow | None:
        return self.steps.relogin_on_expiry(lambda: self.portal.find_operator(username), relogin)

    # -- common steps ------------------------------------------------------------------------------------------
    def stage(self, ref: CredentialRef) -> None:
        """A generated password becomes the pending version of ``ref`` (once; a resume keeps the same one)."""
        if self.steps.skip_if_done("stage", "Generate the new password", "already staged"):
            return
        with self.steps.step("stage", f"Generate a new password for {ref.name} and keep it as pending in the vault"):
            info = self.vault.info(ref)
            pending = info.get("pending")
            current = info.get("current")
            if pending is not None and not self.ours(pending.note):
                raise ConflictError(
                    f"The vault holds a pending password for {ref.name} that this rotation did not make "
                    f"({pending.note or 'no note'}).",
                    hint="Finish the operation that staged it (e.g. mpesa-agent setup), then rotate.",
                )
            if pending is None and not (current is not None and self.ours(current.note)):
                self.vault.stage(ref, passwords.generate_password(), note=self.note("new password, staged"))
            self.steps.done("stage", f"pending in {self.vault.backend_name}", username=ref.name)
        self.steps.checkpoint("rotate:staged")

    def new_password(self, ref: CredentialRef) -> Secret:
        """The password this rotation sets: the pending one, or (after promotion) the current one."""
        pending = self.vault.get(ref, "pending")
        if pending is not None:
            return pending
        current = self.vault.info(ref).get("current")
        if current is not None and self.ours(current.note):
            return self.vault.require(ref)
        raise VerificationError(
            f"The new password of {ref.name} is no longer in the vault (neither pending nor current).",
            hint="Nothing was set on the portal with it yet. Run 'mpesa-agent rotate --abandon', then rotate again.",
        )

    def set_api_password(self, username: str, ref: CredentialRef, before: str) -> None:
        """Set Password (as the web operator) on ``username`` with the pending password; ``before``: its status
        before this rotation touched it (a Pending Active operator turning Active proves that a lost answer took)."""
        if self.steps.skip_if_done("portal-set", f"Set Password on {username}", "already set"):
            return
        with self.steps.step("portal-set", f"Set Password on {username} (as {self.plan.web.username})") as step:
            new = self.new_password(ref)
            self.login_web()
            step.intent(username=username)
            try:
                self.steps.relogin_on_expiry(lambda: self.portal.set_api_password(username, new), self.login_web)
            except PortalError as exc:
                row = self.find(username, self.login_web)
                if before == PENDING_ACTIVE and row is not None and row.status == ACTIVE:
                    log.info("Set Password for %s: no answer, but the operator is Active: it took", username)
                else:
                    # An error page after Submit: the change may or may not have been made. The same password again
                    # makes the portal and the vault agree either way.
                    self.reporter.info(f"No answer to Set Password ({exc.message}); setting the same password again.")
                    self.steps.relogin_on_expiry(lambda: self.portal.set_api_password(username, new), self.login_web)
            self.steps.checkpoint("rotate:api:after-set")
            row = self.find(username, self.login_web)
            if row is None or row.status != ACTIVE:
                raise VerificationError(
                    f"After Set Password the API operator {username} is {row.status if row else 'not listed'}, "
                    "not Active.",
                    hint="Run 'mpesa-agent rotate --resume': the new password is kept as pending and is set again.",
                )
            step.done(f"{username} is Active with the new password", username=username, status=row.status)

    def promote(self, ref: CredentialRef) -> None:
        if self.steps.skip_if_done("promote", "Make the new password current", "already current"):
            return
        title = f"Make the new password of {ref.name} current (the old one stays as previous)"
        with self.steps.step("promote", title) as step:
            info = self.vault.info(ref)
            pending = info.get("pending")
            if pending is not None:
                if not self.ours(pending.note):
                    raise ConflictError(f"The pending password of {ref.name} is not this rotation's.")
                self.vault.promote(ref)
            elif not (info.get("current") is not None and self.ours(info["current"].note)):
                raise VerificationError(f"The new password of {ref.name} is missing from the vault.")
            step.done("current in the vault; the old one is kept as previous", username=ref.name)
        self.steps.checkpoint("rotate:promoted")

    def push_all(self, username: str, password: Secret) -> list[tuple[str, AgentError]]:
        """Push ``username`` with ``password`` to every target site; returns the failures."""
        from agent.workflows import sites

        failures: list[tuple[str, AgentError]] = []
        for url in self.sites:
            key = f"push:{url}"
            if self.journal.is_done(key):
                self.site_report.append({"url": url, "status": "updated", "username": username})
                continue
            self.reporter.start(key, f"Push {username} to {url}")
            try:
                sites.push_operator(self.ctx, url, username, password)
            except AgentError as exc:
                self.journal.failed(key, error=type(exc).__name__)
                self.reporter.finish(key, "failed", exc.message)
                failures.append((url, exc))
                self.site_report.append({"url": url, "status": "failed", "problem": exc.message})
                continue
            self.journal.done(key, username=username)
            self.reporter.finish(key, "ok", "written and read back")
            self.site_report.append({"url": url, "status": "updated", "username": username})
        return failures

    def verify_sites(self, username: str, password: Secret) -> None:
        wrong = []
        for url in self.sites:
            user, secret = site_values(self.ctx, url)
            if user != username or not same(secret, password.reveal()):
                wrong.append(url)
        if wrong:
            raise VerificationError(
                f"The M-PESA plugin of {', '.join(wrong)} does not hold {username} with its current password.",
                hint="Run 'mpesa-agent rotate --resume' to push it again; check the plugin settings in wp-admin if "
                "it keeps failing.",
            )

    def finish(self, **detail: Any) -> None:
        self.journal.record("rotate", "finish", **detail)
        self.journal.archive()

    def result(self, username: str, message: str) -> RotateResult:
        return RotateResult(
            profile=self.plan.profile,
            action="rotated",
            message=message,
            operator=self.kind,
            strategy=self.strategy,
            old_username=self.old,
            username=username,
            sites=self.site_report,
            warnings=self.warnings,
        )
