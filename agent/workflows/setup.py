"""``mpesa-agent setup``: create, activate and finish both operators, resumably.

Steps (journal ``setup-<short code>``, no secrets in it):

1. ``admin-login``: log in as the Business Administrator (password from the vault, else asked; stored only after
   the portal accepted it). Skipped on a re-run when an earlier run of the job created both operators and
   activated the web operator and its password is in the vault: it logs in as the web operator instead (one
   captcha and SMS code fewer), and only a missing operator brings the administrator back.
2. ``web-operator`` / ``api-operator``: check-then-act. Each looks for the operator in the grid first; an
   existing operator is checked (channel, roles) and never recreated; role drift is reported, not "fixed". An
   ambiguous submit (error page or dropped response after Submit) is reconciled by searching the grid.
3. ``web-activation``: first login as the web operator with the user name and temporary password from its SMS
   (a refused temporary password is said and asked once more, never sent twice, at most twice per job),
   forced change to a generated password (staged as *pending* in the vault before the portal sees it, promoted when
   the portal shows the operator Active), two security questions with generated answers (staged in the vault, like
   the password, before the portal sees them; promoted after; on a re-run a staged set is promoted when the
   operator is Active, dropped when the change never happened).
4. ``api-password``: as the web operator (the Business Administrator cannot), Set Password on the API operator to
   a generated password (staged, then promoted once the operator is Active).
5. ``verify``: read both operators back from the grid: status, roles, channel.

A re-run after any interruption re-checks the portal and continues; the vault's *pending* versions tell which
password was in flight, and the portal's status tells whether it took.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

from agent import passwords
from agent.context import Context, PasswordSource
from agent.errors import (
    AuthError,
    ExitStatus,
    NeedsHumanError,
    PasswordRefusedError,
    PortalError,
    UsageError,
    VerificationError,
)
from agent.journal import Journal
from agent.portal.flows import LoginResult, OperatorRow, Portal
from agent.portal.human import LOOKALIKES, SmsCredentials
from agent.secret import Secret
from agent.vault import CredentialRef, Vault
from agent.workflows.plan import OperatorPlan, SetupPlan
from agent.workflows.progress import Reporter
from agent.workflows.steps import StepRunner, StepSpec, Workflow

log = logging.getLogger(__name__)

ACTIVE = "Active"
PENDING_ACTIVE = "Pending Active"
#: Temporary passwords from the SMS tried per setup job before it stops (the portal locks after about 3).
SMS_PASSWORD_TRIES = 2

#: The steps of setup and the checkpoints inside them (the e2e crash suite kills the agent at each one).
SETUP = Workflow(
    "setup",
    (
        StepSpec("admin-login", ("admin-login:done",)),
        StepSpec("web-operator", ("web-operator:before-submit", "web-operator:after-submit", "web-operator:done")),
        StepSpec("api-operator", ("api-operator:before-submit", "api-operator:after-submit", "api-operator:done")),
        StepSpec(
            "web-activation",
            (
                "web-activation:sms-read",
                "web-activation:answers-staged",
                "web-activation:after-change",
                "web-activation:answers-promoted",
                "web-activation:done",
            ),
        ),
        StepSpec("api-password", ("api-password:staged", "api-password:after-set", "api-password:done")),
        StepSpec("verify"),
    ),
)


@dataclasses.dataclass
class OperatorOutcome:
    username: str
    channel: str
    status: str
    roles: list[str]
    missing_roles: list[str]
    extra_roles: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class SetupResult:
    profile: str
    web: OperatorOutcome | None
    api: OperatorOutcome | None
    steps: list[dict[str, str]]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return bool(self.web and self.api and self.web.status == ACTIVE and self.api.status == ACTIVE)

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.OK if self.ok else ExitStatus.VERIFY

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "ok": self.ok,
            "exit_status": int(self.exit_status),
            "web_operator": self.web.as_dict() if self.web else None,
            "api_operator": self.api.as_dict() if self.api else None,
            "steps": self.steps,
            "warnings": self.warnings,
        }


def refs(plan: SetupPlan) -> dict[str, CredentialRef]:
    return {
        "admin": CredentialRef(plan.profile, "admin", plan.admin_username),
        "web": CredentialRef(plan.profile, "web-operator", plan.web.username),
        "web-security": CredentialRef(plan.profile, "web-security", plan.web.username),
        "api": CredentialRef(plan.profile, "api-operator", plan.api.username),
    }


class SetupRun:
    """One run of the setup steps against an open portal session."""

    def __init__(
        self,
        plan: SetupPlan,
        portal: Portal,
        vault: Vault,
        reporter: Reporter,
        admin_password: PasswordSource,
        journal: Journal,
    ) -> None:
        self.plan = plan
        self.portal = portal
        self.vault = vault
        self.reporter = reporter
        self.admin_password_source = admin_password
        self.journal = journal
        self.steps = StepRunner(SETUP, journal, reporter, session_expired=portal.session_expired)
        self.refs = refs(plan)
        self.warnings: list[str] = []
        self._last_login = ""  # who this run logged in last (for a login after the session expired)

    # -- the whole job ---------------------------------------------------------------------------------------
    def run(self) -> SetupResult:
        plan, steps = self.plan, self.steps
        self.journal.record("setup", "start", plan=plan.as_dict())
        web_row: OperatorRow
        api_row: OperatorRow
        with steps.step("admin-login", f"Log in as the Business Administrator {plan.admin_username}") as step:
            if self._only_web_steps_left():
                # One captcha and SMS code fewer: the web operator can read the grid and do what is left.
                self._login_web()
                step.report("skipped", f"only {plan.web.username}'s steps are left: logged in as {plan.web.username}")
            else:
                self._admin_login()
        with steps.step("web-operator", f"Web operator {plan.web.username}"):
            web_row = steps.relogin_on_expiry(lambda: self._ensure_operator(plan.web), self._relogin)
        with steps.step("api-operator", f"API operator {plan.api.username}"):
            api_row = steps.relogin_on_expiry(lambda: self._ensure_operator(plan.api), self._relogin)
        with steps.step("web-activation", f"Activate the web operator {plan.web.username}"):
            web_row = self._activate_web(web_row)
        with steps.step("api-password", f"Set the API operator's password (as {plan.web.username})"):
            api_row = steps.relogin_on_expiry(lambda: self._set_api_password(api_row), self._login_web)
        with steps.step("verify", "Read both operators back from the portal"):
            web_out, api_out = self._verify()
        self.journal.record("setup", "finish", web=web_out.status, api=api_out.status)
        return SetupResult(plan.profile, web_out, api_out, [], self.warnings)

    # -- steps -----------------------------------------------------------------------------------------------
    def _only_web_steps_left(self) -> bool:
        """Whether an earlier run of this job created both operators and activated the web operator, and the
        vault holds the web operator's password (none in flight): the rest needs no Business Administrator."""
        journal, web = self.journal, self.refs["web"]
        return (
            all(journal.is_done(key) for key in ("web-operator", "api-operator", "web-activation"))
            and self.vault.get(web) is not None
            and self.vault.get(web, "pending") is None
        )

    def _relogin(self) -> None:
        """Log in again as whoever was logged in last (the portal said the session expired)."""
        if self._last_login == self.plan.web.username:
            self._login_web()
        else:
            self._admin_login()

    def _admin_login(self) -> None:
        ref = self.refs["admin"]
        stored = self.vault.get(ref)
        password = stored or self.admin_password_source(
            f"Password of the Business Administrator {self.plan.admin_username}"
        )
        self._last_login = self.plan.admin_username
        if self.portal.logged_in_as == self.plan.admin_username:
            return
        self.portal.logout()
        result = self.portal.login(
            self.plan.profile, self.plan.admin_username, password, purpose="Business Administrator login"
        )
        if result is LoginResult.FIRST_LOGIN:
            raise AuthError(
                "The Business Administrator must change its first-time password before the agent can work.",
                hint="Log in once at the portal yourself to set its password, then run setup again.",
            )
        if stored is None:
            self.vault.set_current(ref, password, note="accepted by the portal at login")
        self.steps.done("admin-login", "logged in")
        self.steps.checkpoint("admin-login:done")

    def _ensure_operator(self, op: OperatorPlan) -> OperatorRow:
        key = f"{op.kind}-operator"
        row = self.portal.find_operator(op.username)
        if row is None and self.portal.logged_in_as != self.plan.admin_username:
            # Only the Business Administrator creates operators: look again as it before deciding.
            self._admin_login()
            row = self.portal.find_operator(op.username)
        if row is None and self.journal.state(key) == "intent":
            # A submit was in flight when the last run stopped, and the operator is not listed: it did not commit.
            self.journal.record(key, "note", reconciled="not found after interrupted submit")
        if row is None:
            self.steps.intent(key, username=op.username, channel=op.channel, roles=list(op.roles))
            self.steps.checkpoint(f"{key}:before-submit")
            try:
                self.portal.create_operator(op)
                self.steps.checkpoint(f"{key}:after-submit")
            except (PortalError, VerificationError) as exc:
                # The answer was lost or an error page came after Submit: the grid tells whether it committed.
                row = self.portal.find_operator(op.username)
                if row is None:
                    raise
                log.info("create %s: %s, but the operator exists: continuing", op.username, type(exc).__name__)
            row = row or self.portal.find_operator(op.username)
            if row is None:
                raise VerificationError(
                    f"The portal accepted the new operator {op.username}, but it is not listed.",
                    hint="Run setup again in a few minutes; it will look for it before creating anything.",
                )
            self.steps.done(key, f"created ({row.status})", status=row.status)
            self.steps.checkpoint(f"{key}:done")
        else:
            self._check_existing(op, row)
            self.steps.done(key, f"already exists ({row.status})", status=row.status, existed=True)
        return row

    def _check_existing(self, op: OperatorPlan, row: OperatorRow) -> None:
        missing = [r for r in op.roles if not row.has_role(r)]
        if row.status in ("Closed",):
            raise PortalError(
                f"The operator {op.username} exists but is Closed.",
                hint="Choose another user name for it in your profile, then run setup again.",
            )
        if missing:
            self.warnings.append(
                f"{op.username} exists without the role(s) {', '.join(missing)}; the agent does not change roles "
                "of an existing operator. Add them in the portal (Operator → Role → Edit) or pick a new user name."
            )
        expected = {r.lower() for r in op.roles}
        extra = [r for r in row.roles if r.lower() not in expected]
        if extra:
            self.warnings.append(f"{op.username} has roles the shop does not need: {', '.join(extra)}.")

    def _activate_web(self, row: OperatorRow) -> OperatorRow:
        plan, ref = self.plan.web, self.refs["web"]
        pending = self.vault.get(ref, "pending")
        security = self.refs["web-security"]
        if row.status == ACTIVE:
            if self.vault.get(security, "pending") is not None:
                # The change took with the staged answers: keep them (the questions are unknown then).
                self.vault.promote(security)
            if pending is not None:
                # The change was submitted and took: the pending password is the one the portal has.
                self.vault.promote(ref)
                self.journal.done("web-activation", reconciled=True)
            if self.vault.get(ref) is None:
                raise AuthError(
                    f"The web operator {plan.username} is already Active, but its password is not in the vault.",
                    hint="Have the Business Administrator use Reset Password on it in the portal (its next login is "
                    "a first login again), then run mpesa-agent setup again.",
                )
            self.steps.report("web-activation", "skipped", "already Active")
            return row
        if row.status != PENDING_ACTIVE:
            raise PortalError(
                f"The web operator {plan.username} is {row.status}; setup cannot activate it.",
                hint="Unlock or reactivate it in the portal as the Business Administrator.",
            )
        if pending is not None:
            # The last run staged a password but the portal still shows Pending Active: it never took.
            self.vault.discard_pending(ref)
        self.vault.discard_pending(security)  # answers staged for a change that never happened
        creds, result = self._first_login_web()
        if result is not LoginResult.FIRST_LOGIN:
            raise PortalError(f"The portal did not ask {plan.username} to change its first password.")
        new = passwords.generate_password()
        answers = (passwords.generate_security_answer(), passwords.generate_security_answer())
        self.vault.stage(ref, new, note="first-login password, submitted to the portal")
        self.vault.stage(security, _answers_record(answers), note="security answers, submitted to the portal")
        self.steps.checkpoint("web-activation:answers-staged")
        self.steps.intent("web-activation", username=plan.username)
        questions = self.portal.first_login_change(creds.password, new, answers)
        self.steps.checkpoint("web-activation:after-change")
        self.vault.promote(ref)
        self.vault.promote(security)
        self.steps.checkpoint("web-activation:answers-promoted")
        self.vault.set_current(security, _answers_record(answers, questions), note="security questions")
        self.steps.done("web-activation", "password changed; security questions set", username=plan.username)
        self.steps.checkpoint("web-activation:done")
        return dataclasses.replace(row, status=ACTIVE)

    def _first_login_web(self) -> tuple[SmsCredentials, LoginResult]:
        """The web operator's first login with the user name and temporary password from its SMS. A refused
        temporary password is said (with the characters that look alike) and asked once more; the same value is
        never sent twice, and the refusals of this setup job are counted in the journal so that re-runs cannot
        add up to the portal's lockout (about 3 wrong logins, reference §10)."""
        plan, ref, human = self.plan.web, self.refs["web"], self.portal.human
        refused = max(
            (
                int(e["detail"]["sms_login_refusals"])
                for e in self.journal.entries()
                if e.get("step") == "web-activation" and "sms_login_refusals" in (e.get("detail") or {})
            ),
            default=0,
        )
        tried: list[Secret] = []
        while True:
            if refused >= SMS_PASSWORD_TRIES:
                raise AuthError(
                    f"The portal refused the temporary password of {plan.username} {refused} times; mpesa-agent "
                    "will not try again, so the operator is not locked by us.",
                    hint="Have the Business Administrator use Reset Password on the operator in the portal (a new "
                    "SMS comes), then run mpesa-agent setup again.",
                )
            creds = human.sms_credentials("the new web operator's first login", plan.kyc.msisdn, plan.username)
            if creds.username.lower() != plan.username.lower():
                raise UsageError(f"The SMS is for {creds.username}, not for {plan.username}.")
            if any(creds.password == old for old in tried):
                raise AuthError(
                    "That is the temporary password the portal just refused; it was not sent again.",
                    hint=f"Compare it with the SMS character by character ({LOOKALIKES}), then run mpesa-agent "
                    "setup again.",
                )
            self.vault.set_current(ref, creds.password, note="temporary password from the portal's SMS")
            self.steps.checkpoint("web-activation:sms-read")
            self.portal.logout()
            try:
                result = self.portal.login(
                    self.plan.profile, plan.username, creds.password, purpose="web operator first login"
                )
            except PasswordRefusedError:
                refused += 1
                tried.append(creds.password)
                self.journal.record("web-activation", "note", sms_login_refusals=refused)
                if refused < SMS_PASSWORD_TRIES:
                    human.refused("sms_password", refused)
                continue
            return creds, result

    def _login_web(self) -> None:
        self._last_login = self.plan.web.username
        if self.portal.logged_in_as == self.plan.web.username:
            return
        self.portal.logout()
        password = self.vault.require(self.refs["web"])
        result = self.portal.login(self.plan.profile, self.plan.web.username, password, purpose="web operator login")
        if result is LoginResult.FIRST_LOGIN:
            raise PortalError(f"The portal still asks {self.plan.web.username} for a first-login change.")

    def _set_api_password(self, row: OperatorRow) -> OperatorRow:
        plan, ref = self.plan.api, self.refs["api"]
        pending = self.vault.get(ref, "pending")
        current = self.vault.get(ref)
        if row.status == ACTIVE and pending is None and current is not None:
            self.steps.report("api-password", "skipped", "already Active, password in the vault")
            return row
        self._login_web()
        fresh = self.portal.find_operator(plan.username)
        if fresh is None:
            raise VerificationError(f"The API operator {plan.username} is not listed for {self.plan.web.username}.")
        # A pending password means a Set Password was in flight when the last run stopped; whether or not it went
        # through, setting the same pending password again makes the portal and the vault agree.
        new = pending or passwords.generate_password()
        if pending is None:
            self.vault.stage(ref, new, note="API operator password, submitted to the portal")
        self.steps.intent("api-password", username=plan.username)
        self.steps.checkpoint("api-password:staged")
        self.portal.set_api_password(plan.username, new)
        self.steps.checkpoint("api-password:after-set")
        after = self.portal.find_operator(plan.username)
        if after is None or after.status != ACTIVE:
            raise VerificationError(
                f"After Set Password the API operator {plan.username} is "
                f"{after.status if after else 'not listed'}, not Active.",
                hint="Run setup again: the new password is kept as pending and will be set again.",
            )
        self.vault.promote(ref)
        self.steps.done("api-password", "password set; operator Active", username=plan.username)
        self.steps.checkpoint("api-password:done")
        return after

    def _verify(self) -> tuple[OperatorOutcome, OperatorOutcome]:
        outcomes = []
        for op in (self.plan.web, self.plan.api):
            row = self.portal.find_operator(op.username)
            if row is None:
                raise VerificationError(f"The operator {op.username} is not listed.")
            expected = {r.lower() for r in op.roles}
            outcomes.append(
                OperatorOutcome(
                    op.username,
                    op.channel,
                    row.status,
                    row.roles,
                    [r for r in op.roles if not row.has_role(r)],
                    [r for r in row.roles if r.lower() not in expected],
                )
            )
        web, api = outcomes
        bad = [o for o in outcomes if o.status != ACTIVE]
        if bad:
            self.steps.report("verify", "failed", ", ".join(f"{o.username}: {o.status}" for o in bad))
            raise VerificationError(
                "Not every operator is Active: " + ", ".join(f"{o.username} is {o.status}" for o in bad) + ".",
                hint="Run mpesa-agent setup again to finish the remaining steps.",
            )
        self.steps.done("verify", "both operators Active")
        return web, api


def _answers_record(answers: tuple[Secret, Secret], questions: tuple[str, ...] | list[str] | None = None) -> Secret:
    """The web operator's security answers as one vault value (the questions are None until the portal named them)."""
    return Secret(
        json.dumps(
            {
                "question_1": questions[0] if questions else None,
                "answer_1": answers[0].reveal(),
                "question_2": questions[1] if questions else None,
                "answer_2": answers[1].reveal(),
            }
        )
    )


def _no_admin_password(prompt: str) -> Secret:
    raise NeedsHumanError(
        f"{prompt} is needed and this run has no way to ask for it.",
        hint="Run mpesa-agent setup at a terminal, or pass --admin-password-stdin.",
    )


def run_setup(ctx: Context, plan: SetupPlan) -> SetupResult:
    """Open the portal and run every step that is not done yet. Uses ``ctx.human`` for captchas and SMS codes,
    ``ctx.admin_password`` for the Business Administrator's password (when the vault has none) and ``ctx.browser``
    when set (a running Playwright browser)."""
    from agent.portal.session import portal_session
    from agent.workflows.progress import RecordingReporter

    recorder = RecordingReporter(ctx.reporter)
    journal = ctx.journal(f"setup-{plan.profile}")
    if plan.portal_announcement:
        recorder.info(plan.portal_announcement)
    with (
        ctx.lock(plan.profile, "setup"),
        journal.lock(),
        portal_session(ctx.portal_options(plan.portal_url), ctx.require_human(), browser=ctx.browser) as portal,
    ):
        run = SetupRun(plan, portal, ctx.vault, recorder, ctx.admin_password or _no_admin_password, journal)
        result = run.run()
    result.steps = recorder.as_list()
    if result.ok:
        from agent.workflows.config import record_setup

        record_setup(ctx, plan)  # push, rotate and status then work without a hand-written profile
    return result
